"""Serving a WSGI app on a thread of its own, for tests and scripts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


@dataclass
class Background:
    """A WSGI app served by waitress on a free loopback port, on a thread of its own."""

    url: str
    stop: Callable[[], None]


def serve_in_background(app: WSGIApplication, threads: int = 6) -> Background:
    """Serve `app` until `stop()`: for tests and scripts that drive a page or an endpoint."""
    import waitress
    from waitress import wasyncore

    http: Any = waitress.create_server(  # type: ignore[attr-defined]
        app, host="127.0.0.1", port=0, threads=threads
    )
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():  # waitress's own loop, one poll at a time so it can stop
            wasyncore.loop(timeout=0.05, map=http._map, count=1)
        http.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=10)
        http.task_dispatcher.shutdown()

    return Background(f"http://127.0.0.1:{http.effective_port}", stop)
