"""A bare Bolt app whose /log handler only acks, served by the same waitress stack as okrbot."""

from __future__ import annotations

import os

import waitress
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def main() -> None:
    """Serve on $PORT until killed."""
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=os.environ.get("BARE_RUNNER", "lazy") == "lazy",
    )

    @app.command("/log")
    def log(ack: Ack) -> None:
        ack()

    waitress.serve(
        SlackRequestHandler(app), host="127.0.0.1", port=int(os.environ["PORT"]), threads=8
    )


if __name__ == "__main__":
    main()
