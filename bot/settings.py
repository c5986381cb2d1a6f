"""Configuration from the environment and a `.env` file."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SLACK_API_DEFAULT = "https://slack.com/api/"
WHERE_TOKENS = "create the Slack app from app.yaml (see README) and copy it from"


class SettingsError(Exception):
    """A setting is missing or malformed; the message says what to set and where to find it."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything okrbot reads from its environment."""

    database_url: str
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = SLACK_API_DEFAULT
    slack_client_id: str = ""  # with the secret and no bot token: install to any workspace
    slack_client_secret: str = ""
    port: int = 3000
    host: str = "0.0.0.0"
    log_level: str = "INFO"
    scheduler_grace_hours: float = 6.0
    database_timeout: float = 10.0  # seconds a statement may run; connecting gets half, at most 5
    workers: int = 16  # threads for work after the acknowledgement (forms, button replies)
    shutdown_grace: float = 20.0  # seconds SIGTERM waits for accepted work to finish
    web_concurrency: int = 1  # server processes (WEB_CONCURRENCY; default: the core count)
    webhooks_allow_private: bool = False  # WEBHOOKS_ALLOW_PRIVATE=1: local receivers, for dev

    @property
    def oauth(self) -> bool:
        """True when okrbot installs to workspaces over OAuth instead of using one bot token."""
        return bool(self.slack_client_id and self.slack_client_secret and not self.slack_bot_token)

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set: connect out over Socket Mode instead of HTTP."""
        return bool(self.slack_app_token)


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"PORT must be a number from 1 to 65535, not {raw!r}.")
    return int(raw)


def _database_url(raw: str) -> str:
    try:
        make_url(raw)
    except ArgumentError as error:
        raise SettingsError(
            f"DATABASE_URL {raw!r} is not a database URL; use sqlite:///okrbot.db "
            "or postgresql+psycopg://user@host/dbname."
        ) from error
    return raw


def _api_url(raw: str) -> str:
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(
            f"SLACK_API_URL must be an http(s) URL such as {SLACK_API_DEFAULT}, not {raw!r}."
        )
    return raw if raw.endswith("/") else raw + "/"


def _bounded(
    name: str, raw: str, low: float, high: float, *, unit: str, above_low: bool = False
) -> float:
    """A number setting within [low, high] (above `low`, not at it, with `above_low`)."""
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high or (above_low and value == low):
        raise SettingsError(
            f"{name} must be a number of {unit} from {low:g} to {high:g}, not {raw!r}."
        )
    return value


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in logging.getLevelNamesMapping():
        raise SettingsError(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not {raw!r}.")
    return level


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `env` (default: the process environment after loading `.env`)."""
    if env is None:
        from dotenv import load_dotenv

        load_dotenv(os.path.join(os.getcwd(), ".env"))
        env = os.environ
    return Settings(
        database_url=_database_url(env.get("DATABASE_URL") or "sqlite:///okrbot.db"),
        slack_bot_token=env.get("SLACK_BOT_TOKEN", "").strip(),
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip(),
        slack_app_token=env.get("SLACK_APP_TOKEN", "").strip(),
        slack_api_url=_api_url(env.get("SLACK_API_URL") or SLACK_API_DEFAULT),
        slack_client_id=env.get("SLACK_CLIENT_ID", "").strip(),
        slack_client_secret=env.get("SLACK_CLIENT_SECRET", "").strip(),
        webhooks_allow_private=(env.get("WEBHOOKS_ALLOW_PRIVATE") or "").strip() == "1",
        port=_port(env.get("PORT") or "3000"),
        host=env.get("HOST") or "0.0.0.0",
        log_level=_log_level(env.get("LOG_LEVEL") or "INFO"),
        scheduler_grace_hours=_bounded(
            "SCHEDULER_GRACE_HOURS",
            env.get("SCHEDULER_GRACE_HOURS") or "6",
            0,
            24,
            unit="hours",
            above_low=True,
        ),
        database_timeout=_bounded(
            "DATABASE_TIMEOUT", env.get("DATABASE_TIMEOUT") or "10", 1, 300, unit="seconds"
        ),
        shutdown_grace=_bounded(
            "SHUTDOWN_GRACE", env.get("SHUTDOWN_GRACE") or "20", 0, 600, unit="seconds"
        ),
        web_concurrency=int(
            _bounded(
                "WEB_CONCURRENCY",
                env.get("WEB_CONCURRENCY") or str(os.cpu_count() or 1),
                1,
                64,
                unit="processes",
            )
        ),
    )


def require_slack(settings: Settings, *, receive: bool = True) -> None:
    """Check the Slack credentials a command needs (`receive`: it takes requests from Slack,
    so it needs the signing secret too); SettingsError says which and where."""
    if settings.oauth:
        _require_oauth(settings)
        return
    if settings.slack_bot_token and (settings.slack_client_id or settings.slack_client_secret):
        raise SettingsError(
            "Set SLACK_BOT_TOKEN for one workspace, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
            "to install to many, not both: unset one of them."
        )
    token = settings.slack_bot_token
    if not token:
        raise SettingsError(
            f"SLACK_BOT_TOKEN is not set: {WHERE_TOKENS} OAuth & Permissions "
            "(Bot User OAuth Token, xoxb-...), then put it in .env. To install okrbot to any "
            "workspace instead, set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (README: Install "
            "to many workspaces)."
        )
    if not token.startswith("xoxb-"):
        raise SettingsError(
            "SLACK_BOT_TOKEN must be a bot token starting with xoxb- "
            "(OAuth & Permissions > Bot User OAuth Token)."
        )
    if settings.slack_app_token and not settings.slack_app_token.startswith("xapp-"):
        raise SettingsError(
            "SLACK_APP_TOKEN must be an app-level token starting with xapp- "
            "(Basic Information > App-Level Tokens, scope connections:write), or unset for HTTP mode."
        )
    if receive and not settings.socket_mode and not settings.slack_signing_secret:
        raise SettingsError(
            f"SLACK_SIGNING_SECRET is not set: {WHERE_TOKENS} Basic Information > App Credentials "
            "(Signing Secret), then put it in .env."
        )


def _require_oauth(settings: Settings) -> None:
    """Installing to many workspaces: Slack sends requests over HTTP, signed."""
    if settings.socket_mode:
        raise SettingsError(
            "Installing to many workspaces (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) needs "
            "HTTP: unset SLACK_APP_TOKEN, or set SLACK_BOT_TOKEN for one workspace."
        )
    if not settings.slack_signing_secret:
        raise SettingsError(
            f"SLACK_SIGNING_SECRET is not set: {WHERE_TOKENS} Basic Information > App Credentials "
            "(Signing Secret), then put it in .env."
        )
