"""API tokens from App Home: admins create one (its secret shown once) and revoke it in one
click; members cannot; what Slack shows passes its Block Kit rules."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Engine

from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from bot.services import Services
from handlers import ids
from tests.conftest import FakeClock
from tests.helpers import OKR_PLAYBOOK, import_playbook, row_counts, texts


def form(name: str, scopes: list[str]) -> dict[str, Any]:
    chosen = [{"text": {"type": "plain_text", "text": s}, "value": s} for s in scopes]
    return {
        ids.BLOCK_TOKEN_NAME: {ids.INPUT_TOKEN_NAME: {"type": "plain_text_input", "value": name}},
        ids.BLOCK_TOKEN_SCOPES: {
            ids.INPUT_TOKEN_SCOPES: {"type": "checkboxes", "selected_options": chosen}
        },
    }


def open_home(slack: SlackSender, fake_slack: FakeSlack, user: str, count: int) -> str:
    slack.event({"type": "app_home_opened", "user": user, "tab": "home"}, event_id=f"EvH{count}")
    return texts(fake_slack.wait_for("views.publish", count=count)[count - 1].params["view"])


def test_an_admin_creates_a_token_in_app_home_that_works_and_revokes_it_in_one_click(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock, services: Services
) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)
    home = open_home(slack, fake_slack, "U0ADMIN", 1)
    assert "API tokens" in home
    assert "No API tokens yet" in home
    slack.block_action(ids.ACTION_NEW_TOKEN, "", user="U0ADMIN", container="view")
    opened = fake_slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == ids.VIEW_NEW_TOKEN
    reply = slack.view_submission(
        ids.VIEW_NEW_TOKEN, form("hubspot", ["activities:write"]), user="U0ADMIN"
    )
    answer = json.loads(reply.body)
    assert answer["response_action"] == "update"
    secret = next(
        word for word in texts(answer["view"]).replace("`", " ").split() if word.startswith("okr_")
    )
    caller = services.api.authenticate(secret)
    assert caller.scopes == frozenset({"activities:write"})
    [token] = services.api.tokens("T0001")
    home = open_home(slack, fake_slack, "U0ADMIN", 2)
    assert "*hubspot*" in home
    assert secret not in home  # only its first characters are ever shown again
    slack.block_action(
        ids.keyed(ids.ACTION_REVOKE_TOKEN, str(token.id)),
        str(token.id),
        user="U0ADMIN",
        container="view",
    )
    fake_slack.wait_for("views.publish", count=3)
    assert services.api.tokens("T0001")[0].revoked_at is not None


def test_members_cannot_create_tokens_and_a_bad_form_changes_nothing(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock, services: Services
) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)
    assert "API tokens" not in open_home(slack, fake_slack, "U0REP1", 1)
    slack.block_action(ids.ACTION_NEW_TOKEN, "", user="U0REP1", container="view")
    [warning] = fake_slack.wait_for("chat.postMessage")
    assert "Only workspace admins can create API tokens" in warning.params["text"]
    assert fake_slack.calls_to("views.open") == []
    before = row_counts(db)
    forged = slack.view_submission(ids.VIEW_NEW_TOKEN, form("x", ["points:read"]), user="U0REP1")
    assert json.loads(forged.body)["response_action"] == "errors"
    no_scopes = slack.view_submission(ids.VIEW_NEW_TOKEN, form("bi", []), user="U0ADMIN")
    errors = json.loads(no_scopes.body)["errors"]
    assert "Scopes must be some of" in errors[ids.BLOCK_TOKEN_SCOPES]
    assert row_counts(db) == before
    assert services.api.tokens("T0001") == []
