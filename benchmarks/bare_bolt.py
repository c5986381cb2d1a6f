"""A bare Bolt app whose /log handler only acks, served by the same waitress stack as okrbot:
WEB_CONCURRENCY processes (default 1) on one listening socket, 8 threads each."""

from __future__ import annotations

import os
import socket

import waitress
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.workers import listening_socket, run_workers


def serve(sock: socket.socket) -> None:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=os.environ.get("BARE_RUNNER", "lazy") == "lazy",
    )

    @app.command("/log")
    def log(ack: Ack) -> None:
        ack()

    waitress.serve(SlackRequestHandler(app), sockets=[sock], threads=8)


def main() -> None:
    """Serve on $PORT until killed."""
    sock = listening_socket("127.0.0.1", int(os.environ["PORT"]))
    processes = int(os.environ.get("WEB_CONCURRENCY", "1"))
    if processes == 1:
        serve(sock)
    else:
        run_workers(processes, sock, serve, grace=5)


if __name__ == "__main__":
    main()
