"""Installing okrbot to any workspace over OAuth: the stores and Bolt's OAuth settings.

Installations and install states live in okrbot's own database, in the tables migration
0009 creates for slack_sdk's SQLAlchemy stores."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from bot.settings import Settings
from bot.slack_edge import Installations, SingleToken, SlackEdge

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install started longer ago than this must start again
BOT_SCOPES = (  # as app.yaml asks for them (a test compares)
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "im:write",
    "files:write",
    "reactions:read",
    "channels:history",
    "groups:history",
    "im:history",
)


@dataclass(frozen=True)
class OAuthParts:
    """Where installations and install states are kept, and the edge that reads them."""

    store: SQLAlchemyInstallationStore
    states: SQLAlchemyOAuthStateStore
    edge: Installations


def oauth_parts(settings: Settings, engine: Engine) -> OAuthParts:
    store = SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
    edge = Installations(
        store, settings.slack_client_id, settings.slack_client_secret, settings.slack_api_url
    )
    return OAuthParts(store, states, edge)


def edge_for(settings: Settings, engine: Engine) -> SlackEdge:
    """Installations when okrbot installs over OAuth; otherwise the one bot token."""
    if settings.oauth:
        return oauth_parts(settings, engine).edge
    return SingleToken(settings.slack_bot_token, settings.slack_api_url)


def oauth_settings(
    settings: Settings,
    parts: OAuthParts,
    success: Callable[[SuccessArgs], BoltResponse],
    failure: Callable[[FailureArgs], BoltResponse],
) -> OAuthSettings:
    """Bolt's OAuth flow: the install page, the redirect, and what happens after each."""
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=parts.store,
        installation_store_bot_only=True,
        state_store=parts.states,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=success, failure=failure),
    )
