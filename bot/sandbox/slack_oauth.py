"""The fake Slack's side of OAuth: install codes, bot tokens per workspace, token rotation.

Like Slack, it hands out a code once, refuses a code used twice, checks the app's
credentials, and retires a token when it is rotated away or the app is uninstalled: a call
made with a retired token is refused."""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.slack_calls import Call

Answer = dict[str, Any]
BOT_SCOPES = "commands,chat:write,chat:write.public,users:read,im:write,files:write"


@dataclass(kw_only=True)
class FakeOAuth:
    """Apps' credentials, codes waiting to be exchanged, and the tokens handed out."""

    client_id: str = "1111.2222"
    client_secret: str = "fake-client-secret"
    expires_in: int | None = None  # seconds an installed token lives; None: no rotation
    refreshed_expires_in: int = 43_200  # a rotated token lives 12 hours, as Slack's do
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> team, installer
    used: set[str] = field(default_factory=set)
    tokens: dict[str, str] = field(default_factory=dict)  # live bot token -> team
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # live refresh token -> team
    retired: dict[str, str] = field(default_factory=dict)  # token -> the error Slack gives
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            for store in (self.codes, self.tokens, self.refresh_tokens, self.retired):
                store.clear()
            self.used.clear()
            self.expires_in = None

    def grant(self, team: str, installer: str) -> str:
        """A code Slack would put in the redirect after `installer` approved the install."""
        with self.lock:
            code = f"code-{team}-{next(self._numbers)}"
            self.codes[code] = (team, installer)
            return code

    def team_of(self, token: str) -> str | None:
        with self.lock:
            return self.tokens.get(token)

    def refusal(self, call: Call) -> Answer | None:
        """Slack's answer to a call made with a token it no longer accepts."""
        token = bearer(call)
        with self.lock:
            error = self.retired.get(token) if token else None
        return None if error is None else {"ok": False, "error": error}

    def revoke(self, team: str) -> None:
        """The app was uninstalled from `team`: its tokens stop working."""
        with self.lock:
            for store in (self.tokens, self.refresh_tokens):
                for token in [t for t, owner in store.items() if owner == team]:
                    del store[token]
                    self.retired[token] = "token_revoked"

    def access(self, call: Call) -> Answer:
        """`oauth.v2.access`: a code for a first token, or a refresh token for the next one."""
        if credentials(call) != (self.client_id, self.client_secret):
            return {"ok": False, "error": "invalid_client_id"}
        params = call.params
        with self.lock:
            if params.get("grant_type") == "refresh_token":
                team = self.refresh_tokens.pop(str(params.get("refresh_token")), None)
                if team is None:
                    return {"ok": False, "error": "invalid_refresh_token"}
                for token in [t for t, owner in self.tokens.items() if owner == team]:
                    del self.tokens[token]
                    self.retired[token] = "token_expired"
                return {"ok": True, **self._tokens(team, self.refreshed_expires_in)}
            code = str(params.get("code") or "")
            if code in self.used or code not in self.codes:
                return {"ok": False, "error": "invalid_code"}
            self.used.add(code)
            team, installer = self.codes.pop(code)
            tokens = self._tokens(team, self.expires_in)
            answer = {"ok": True, **tokens, "authed_user": {"id": installer}}
            return answer

    def _tokens(self, team: str, expires_in: int | None) -> Answer:
        number = next(self._numbers)
        rotating = expires_in is not None
        token = f"{'xoxe.' if rotating else ''}xoxb-{team}-{number}"
        self.tokens[token] = team
        answer: Answer = {
            "access_token": token,
            "token_type": "bot",
            "scope": BOT_SCOPES,
            "bot_user_id": "UBOT",
            "app_id": "A0OKRBOT",
            "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if rotating:
            refresh = f"xoxe-1-{team}-{number}"
            self.refresh_tokens[refresh] = team
            answer |= {"refresh_token": refresh, "expires_in": expires_in}
        return answer


def bearer(call: Call) -> str:
    """The token a Web API call was made with."""
    header = {k.lower(): v for k, v in call.headers.items()}.get("authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""


def credentials(call: Call) -> tuple[str, str]:
    """The client id and secret, from HTTP basic auth or the form."""
    header = {k.lower(): v for k, v in call.headers.items()}.get("authorization", "")
    if header.startswith("Basic "):
        decoded = base64.b64decode(header[6:]).decode(errors="replace")
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return str(call.params.get("client_id", "")), str(call.params.get("client_secret", ""))
