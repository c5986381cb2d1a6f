"""Several server processes on one listening socket: the parent binds it, forks the workers,
starts a new one when one dies, and on SIGTERM or SIGINT passes the signal on and waits for
every worker to finish what it accepted."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from typing import NoReturn

log = logging.getLogger("okrbot")

RESPAWN_PAUSE = 1.0  # seconds between restarts of a worker that keeps dying
POLL = 0.1  # seconds between looks for exited workers
STARTUP = 10.0  # a worker failing this soon after its start fails every time: stop all
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket every worker accepts on, bound once by the parent."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=1024)
    sock.set_inheritable(True)
    return sock


def run_workers(
    count: int, sock: socket.socket, work: Callable[[socket.socket], None], grace: float
) -> int:
    """Fork `count` workers that each run `work(sock)` until they are told to stop; return
    how many of them did not stop cleanly within `grace` seconds of SIGTERM."""
    supervisor = _Supervisor(sock, work)
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    for number in range(count):
        supervisor.spawn(number)
    log.info("okrbot serving with %d worker processes", count)
    unclean = supervisor.wait(grace)
    sock.close()
    return unclean


class _Supervisor:
    def __init__(self, sock: socket.socket, work: Callable[[socket.socket], None]) -> None:
        self.sock, self.work = sock, work
        self.children: dict[int, tuple[int, float]] = {}  # pid -> worker number, started
        self.stopping = False

    def spawn(self, number: int) -> None:
        # A stop arriving while the worker is forked waits until it is in `children`, so
        # `stop` tells it too (else it ran on until killed past the grace period).
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:  # the worker: its own engine, pool and scheduler are built in `work`
                self._run(number)
            self.children[pid] = (number, time.monotonic())
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def _run(self, number: int) -> NoReturn:
        """The worker's life after the fork; it never returns."""
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        status = 0
        try:
            self.work(self.sock)
        except BaseException:
            log.exception("worker %d failed", number)
            status = 1
        finally:
            logging.shutdown()
            os._exit(status)

    def stop(self, signum: int, _frame: object) -> None:
        self.stopping = True
        name = signal.Signals(signum).name
        log.info("received %s: stopping %d worker(s)", name, len(self.children))
        for pid in list(self.children):
            _signal(pid, signal.SIGTERM)

    def wait(self, grace: float) -> int:
        """Reap workers (starting new ones until stopping) until none is left; the number
        that exited with an error, or were killed past the grace period."""
        deadline, unclean = None, 0
        while self.children:
            if self.stopping and deadline is None:
                deadline = time.monotonic() + grace + 5
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:  # no worker has exited since the last look
                if deadline is not None and time.monotonic() > deadline:
                    for late in list(self.children):
                        _signal(late, signal.SIGKILL)
                time.sleep(POLL)
                continue
            number, started = self.children.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            # A worker still starting when told to stop dies of SIGTERM itself (its handler,
            # which drains, comes with its server): it had accepted nothing, so that is clean.
            failed = code != 0 and not (self.stopping and code == -signal.SIGTERM)
            unclean += failed
            if failed and not self.stopping and time.monotonic() - started < STARTUP:
                log.error("worker %d failed while starting: stopping okrbot", number)
                self.stop(signal.SIGTERM, None)  # it would fail again: do not loop
            if not self.stopping:
                log.warning("worker %d (pid %d) exited; starting another", number, pid)
                time.sleep(RESPAWN_PAUSE)
                if not self.stopping:
                    self.spawn(number)
        return unclean


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
