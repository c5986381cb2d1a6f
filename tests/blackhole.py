"""A TCP proxy in front of PostgreSQL that can hang as a database does when it stops answering
but keeps accepting connections: while hung, what either side sends is held, and on resume
it is all delivered, in order, whether or not its sender has given up since."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable


class BlackHole:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._open = threading.Condition()
        self._pumps = 0
        self.on_client_bytes: Callable[[bytes], None] | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def hang(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def hang_when_client_sends(self, marker: bytes) -> None:
        """Hang just before forwarding the first message from a client containing `marker`."""

        def watch(chunk: bytes) -> None:
            if marker in chunk:
                self.on_client_bytes = None
                self.hang()

        self.on_client_bytes = watch

    def wait_quiet(self, timeout: float) -> bool:
        """Wait until every connection it carried has closed on both sides."""
        with self._open:
            return self._open.wait_for(lambda: self._pumps == 0, timeout=timeout)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._open:
                self._pumps += 2
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._flowing.wait()  # while hung, a new connection is accepted and left waiting
        server = socket.create_connection(self.upstream)
        threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
        self._pump(server, client, False)

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while True:
                self._flowing.wait()
                try:
                    chunk = source.recv(65536)
                except OSError:
                    chunk = b""
                if from_client and chunk and self.on_client_bytes is not None:
                    self.on_client_bytes(chunk)
                self._flowing.wait()  # held while hung, then delivered
                if not chunk:
                    break
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)
            with self._open:
                self._pumps -= 1
                self._open.notify_all()

    def close(self) -> None:
        self._flowing.set()
        self._listener.close()
