"""Installing okrbot to any workspace over OAuth, offline against the fake Slack: the install
page and its state, the redirect, the stored installation, a new workspace ready at once,
tokens rotated before they expire, and what an uninstall stops and later deletes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from bot.app import Runtime, build_runtime
from bot.cli import main
from bot.domain.schedule import Job
from bot.playbook import parse_playbook
from bot.sandbox.background import serve_in_background
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_oauth import bearer
from bot.sandbox.slack_requests import Reply, SlackSender
from bot.services import Services
from bot.settings import Settings, SettingsError, load_settings, require_slack
from storage.models import ActivityLog, ActivityType, Member, Workspace
from tests.conftest import SIGNING_SECRET, FakeClock
from tests.helpers import PLAYBOOK, import_playbook, row_counts

NEW, OTHER = "T0NEW", "T0OTHER"


@dataclass
class OAuthServer:
    runtime: Runtime
    url: str


@pytest.fixture(scope="session")
def oauth_server(engine: Engine, clock: FakeClock, fake_slack: FakeSlack) -> Iterator[OAuthServer]:
    settings = Settings(
        database_url=str(engine.url),
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        slack_client_id=fake_slack.oauth.client_id,
        slack_client_secret=fake_slack.oauth.client_secret,
    )
    assert settings.oauth
    runtime = build_runtime(settings, clock=clock, engine=engine)
    served = serve_in_background(runtime.wsgi, threads=4)
    yield OAuthServer(runtime, served.url)
    served.stop()


@pytest.fixture
def oauth_runtime(oauth_server: OAuthServer) -> Runtime:
    return oauth_server.runtime


@pytest.fixture
def app(db: Engine, oauth_server: OAuthServer, fake_slack: FakeSlack) -> SlackSender:
    oauth_server.runtime.services.okrs.ctx.known.clear()
    return SlackSender(
        base_url=oauth_server.url,
        secret=SIGNING_SECRET,
        response_url=fake_slack.response_url(),
        fake=fake_slack,
    )


def start_install(app: SlackSender) -> tuple[str, str]:
    """Open the install page; return the state in its Add to Slack link, and the cookie."""
    page = app.raw("GET", "/slack/install")
    assert page.status == 200
    link = re.search(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', page.body)
    assert link is not None, page.body
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    assert query["scope"][0].split(",")[:2] == ["commands", "chat:write"]
    cookie = page.headers["Set-Cookie"].split(";")[0]
    return query["state"][0], cookie


def finish_install(app: SlackSender, code: str, state: str, cookie: str) -> Reply:
    return app.raw(
        "GET", f"/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie}
    )


def install(app: SlackSender, fake: FakeSlack, team: str, installer: str) -> Reply:
    state, cookie = start_install(app)
    return finish_install(app, fake.oauth.grant(team, installer), state, cookie)


def bots(db: Engine) -> list[tuple[str, str]]:
    with db.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(text("SELECT team_id, bot_token FROM slack_bots"))
        ]  # type: ignore[misc]


def test_an_install_stores_the_installation_and_the_workspace_is_ready_at_once(
    app: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    done = install(app, fake_slack, NEW, "U0BOSS")
    assert done.status == 200, done.body
    [(team, token)] = bots(db)
    assert team == NEW
    assert fake_slack.oauth.team_of(token) == NEW
    with db.connect() as connection:
        active = connection.scalar(select(Workspace.active).where(Workspace.id == NEW))
        catalog = connection.scalars(
            select(ActivityType.key).where(ActivityType.workspace_id == NEW)
        ).all()
        boss = connection.scalar(
            select(Member.is_admin).where(Member.workspace_id == NEW, Member.user_id == "U0BOSS")
        )
    assert active is True
    assert set(catalog) == {"call", "email", "meeting", "demo", "proposal"}
    assert boss is True  # the installer is the first admin
    welcome = [
        c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == "U0BOSS"
    ]
    assert len(welcome) == 1
    assert bearer(welcome[0]) == token  # sent with the new workspace's own token
    assert "next three steps" in welcome[0].params["text"]


def test_a_log_from_the_new_workspace_is_stored_under_it(
    app: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    assert install(app, fake_slack, NEW, "U0BOSS").status == 200
    reply = app.command("/log", "call 3", user="U0NEWREP", team=NEW)
    assert reply.status == 200
    assert reply.json()["text"] == "Logged 3 × Call: +3 points"
    with db.connect() as connection:
        logged = connection.execute(select(ActivityLog.workspace_id, ActivityLog.user_id)).all()
    assert [tuple(row) for row in logged] == [(NEW, "U0NEWREP")]


@pytest.mark.parametrize("how", ["forged state", "no cookie", "expired state"])
def test_a_bad_install_gets_a_clear_page_and_stores_nothing(
    app: SlackSender, fake_slack: FakeSlack, db: Engine, how: str
) -> None:
    state, cookie = start_install(app)
    code = fake_slack.oauth.grant(NEW, "U0BOSS")
    if how == "forged state":
        reply = finish_install(app, code, "made-up-state", "slack-app-oauth-state=made-up-state")
    elif how == "no cookie":
        reply = finish_install(app, code, state, "")
    else:
        with db.begin() as connection:
            connection.execute(text("UPDATE slack_oauth_states SET expire_at = '2000-01-01'"))
        reply = finish_install(app, code, state, cookie)
    assert reply.status >= 400
    assert "okrbot was not installed" in reply.body
    assert "Start the install again" in reply.body
    assert not bots(db)
    assert row_counts(db)["workspaces"] == 0


def test_a_replayed_code_gets_a_clear_page_and_stores_nothing_more(
    app: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    code = fake_slack.oauth.grant(NEW, "U0BOSS")
    assert install_with_code(app, code).status == 200
    stored, counts = bots(db), row_counts(db)
    replayed = install_with_code(app, code)
    assert replayed.status >= 400
    assert "Slack did not accept the install code" in replayed.body
    assert bots(db) == stored
    assert row_counts(db) == counts


def install_with_code(app: SlackSender, code: str) -> Reply:
    state, cookie = start_install(app)
    return finish_install(app, code, state, cookie)


def test_a_token_about_to_expire_is_rotated_before_a_scheduled_send(
    app: SlackSender, fake_slack: FakeSlack, db: Engine, oauth_runtime: Runtime, clock: FakeClock
) -> None:
    fake_slack.oauth.expires_in = 43_200  # token rotation on: tokens live 12 hours
    assert install(app, fake_slack, NEW, "U0BOSS").status == 200
    [(_, first)] = bots(db)
    in_a_minute = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=60)
    with db.begin() as connection:  # 11 hours 59 minutes later: it expires in 60 s
        connection.execute(
            text("UPDATE slack_bots SET bot_token_expires_at = :at"), {"at": in_a_minute}
        )
    oauth_runtime.services.setup.import_playbook(
        parse_playbook(PLAYBOOK.replace("workspace: T0001", f"workspace: {NEW}"))
    )
    report = oauth_runtime.services.scheduler.run_job(Job.LEADERBOARD_POST, None, NEW)
    assert report.sent == 1, report.errors
    refreshes = [
        c
        for c in fake_slack.calls_to("oauth.v2.access")
        if c.params.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1
    [post] = [
        c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == "C0SALESEAST"
    ]
    assert bearer(post) != first
    assert fake_slack.oauth.team_of(bearer(post)) == NEW
    assert post.received > refreshes[0].received
    [(_, saved)] = bots(db)
    assert saved == bearer(post)  # the rotated token is what the next send reads
    reply = app.command("/log", "call", user="U0REP1", team=NEW)  # and what requests read
    assert reply.json()["text"] == "Logged 1 × Call: +1 point"
    assert (
        len([c for c in fake_slack.calls_to("oauth.v2.access") if c.params.get("grant_type")]) == 1
    )


def test_an_uninstall_stops_sends_at_once_and_deletes_the_data_after_30_days(
    app: SlackSender, fake_slack: FakeSlack, db: Engine, oauth_runtime: Runtime, clock: FakeClock
) -> None:
    services = oauth_runtime.services
    for team in (NEW, OTHER):
        assert install(app, fake_slack, team, "U0BOSS").status == 200
        services.setup.import_playbook(
            parse_playbook(PLAYBOOK.replace("workspace: T0001", f"workspace: {team}"))
        )
        assert app.command("/log", "call 2", user="U0REP1", team=team).status == 200
    fake_slack.oauth.revoke(NEW)  # Slack revokes the tokens, then tells okrbot
    event = {"type": "app_uninstalled"}
    uninstalled = SlackSender(
        base_url=app.base_url, secret=SIGNING_SECRET, response_url=app.response_url, team_id=NEW
    )
    assert uninstalled.event(event, event_id="EvGone1").status == 200
    assert [team for team, _ in bots(db)] == [OTHER]
    posted_before = len(fake_slack.calls_to("chat.postMessage"))
    report = services.scheduler.run_job(Job.LEADERBOARD_POST)  # every workspace's teams
    assert (report.sent, report.failed) == (1, 0)
    [post] = fake_slack.calls_to("chat.postMessage")[posted_before:]
    assert fake_slack.oauth.team_of(bearer(post)) == OTHER  # nothing even tried for NEW
    with db.connect() as connection:
        claimed = connection.execute(text("SELECT DISTINCT workspace_id FROM scheduled_sends"))
        assert [row[0] for row in claimed] == [OTHER]

    def rows(team: str) -> int:
        with db.connect() as connection:
            return int(
                connection.scalar(
                    select(func.count())
                    .select_from(ActivityLog)
                    .where(ActivityLog.workspace_id == team)
                )
                or 0
            )

    clock.advance(days=29)
    assert services.installs.purge_uninstalled() == {}
    assert rows(NEW) == 1
    clock.advance(days=2)
    purged = services.installs.purge_uninstalled()
    assert list(purged) == [NEW]
    assert purged[NEW] > 10
    assert rows(NEW) == 0
    assert rows(OTHER) == 1
    with db.connect() as connection:
        assert connection.scalar(select(Workspace.id).where(Workspace.id == NEW)) is None


def test_a_reinstall_within_30_days_picks_up_where_it_left_off(
    app: SlackSender, fake_slack: FakeSlack, db: Engine, oauth_runtime: Runtime, clock: FakeClock
) -> None:
    assert install(app, fake_slack, NEW, "U0BOSS").status == 200
    assert app.command("/log", "call 2", user="U0REP1", team=NEW).status == 200
    gone = SlackSender(
        base_url=app.base_url, secret=SIGNING_SECRET, response_url=app.response_url, team_id=NEW
    )
    assert gone.event({"type": "app_uninstalled"}, event_id="EvGone2").status == 200
    clock.advance(days=10)
    assert install(app, fake_slack, NEW, "U0SOMEONE").status == 200
    with db.connect() as connection:
        admins = connection.scalars(
            select(Member.user_id).where(Member.workspace_id == NEW, Member.is_admin.is_(True))
        ).all()
    assert admins == ["U0BOSS"]  # reinstalling does not make someone an admin
    clock.advance(days=25)
    assert oauth_runtime.services.installs.purge_uninstalled() == {}
    reply = app.command("/points", "", user="U0REP1", team=NEW)
    assert reply.json()["text"] == "Your points: 0 this week, 2 this quarter"


def test_installations_are_kept_where_slack_sdk_expects_them(
    app: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    assert install(app, fake_slack, NEW, "U0BOSS").status == 200
    store = SQLAlchemyInstallationStore(client_id=fake_slack.oauth.client_id, engine=db)
    bot = store.find_bot(enterprise_id=None, team_id=NEW)
    assert bot is not None
    assert bot.bot_user_id == "UBOT"


def test_workspace_delete_now_removes_one_workspace_and_says_how_much(
    db: Engine,
    services: Services,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for team in (NEW, OTHER):
        import_playbook(db, clock, PLAYBOOK.replace("workspace: T0001", f"workspace: {team}"))
        services.activities.log_text(team, "U0REP1", "demo 3")
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    before = row_counts(db)
    assert main(["workspace", "delete", NEW], clock) == 2
    assert "Add --now to delete it" in capsys.readouterr().err
    assert main(["workspace", "delete", "TNOPE", "--now"], clock) == 2
    assert f"No workspace TNOPE in this database (workspaces: {NEW}, {OTHER})" in (
        capsys.readouterr().err
    )
    assert row_counts(db) == before  # refused: nothing changed
    assert main(["workspace", "delete", NEW, "--now"], clock) == 0
    printed = capsys.readouterr().out
    total = int(re.search(r"deleted, ([\d,]+) rows removed", printed).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert "  activity_logs: 1" in printed
    after = row_counts(db)
    assert sum(before.values()) - sum(after.values()) == total
    assert services.setup.workspaces() == [OTHER]
    assert services.standings.points(OTHER, "U0REP1").week.activity == 15  # 3 demos at 5


def test_two_workspaces_side_by_side_see_only_their_own_data_and_use_their_own_tokens(
    app: SlackSender, fake_slack: FakeSlack, db: Engine, oauth_runtime: Runtime
) -> None:
    services = oauth_runtime.services
    for team in (NEW, OTHER):  # the same member ids in both, as Slack ids can collide
        assert install(app, fake_slack, team, "U0MANAGER").status == 200
        services.setup.import_playbook(
            parse_playbook(PLAYBOOK.replace("workspace: T0001", f"workspace: {team}"))
        )
    tokens = dict(bots(db))
    assert app.command("/log", "proposal 2", user="U0REP1", team=NEW).status == 200
    mine = app.command("/points", "", user="U0REP1", team=NEW).json()["text"]
    theirs = app.command("/points", "", user="U0REP1", team=OTHER).json()["text"]
    assert mine == "Your points: 20 this week, 20 this quarter"
    assert theirs == "Your points: 0 this week, 0 this quarter"
    board = app.command("/leaderboard", "week", user="U0REP2", team=OTHER).json()
    assert "No points yet for this period" in json.dumps(board)
    before = len(fake_slack.calls_to("chat.postMessage"))
    report = services.scheduler.run_job(Job.MANAGER_DIGEST)
    assert (report.sent, report.failed) == (2, 0)
    digests = fake_slack.calls_to("chat.postMessage")[before:]
    assert sorted(bearer(call) for call in digests) == sorted(tokens.values())
    for call in digests:
        team = fake_slack.oauth.team_of(bearer(call))
        rep1 = "<@U0REP1> 20 (week before 0)" if team == NEW else "<@U0REP1> 0 (week before 0)"
        assert rep1 in json.dumps(call.params["blocks"])


def test_installing_to_many_workspaces_needs_http_the_signing_secret_and_no_bot_token() -> None:
    oauth = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "secret"}
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET is not set"):
        require_slack(load_settings(oauth))
    with pytest.raises(SettingsError, match="needs HTTP: unset SLACK_APP_TOKEN"):
        require_slack(
            load_settings({**oauth, "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1"})
        )
    require_slack(load_settings({**oauth, "SLACK_SIGNING_SECRET": "s"}))
    both = load_settings({**oauth, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert not both.oauth
    with pytest.raises(SettingsError, match="not both"):
        require_slack(both)


def test_expired_install_links_are_cleaned_up_by_the_scheduler(
    app: SlackSender, db: Engine, oauth_runtime: Runtime
) -> None:
    start_install(app)
    start_install(app)
    with db.begin() as connection:  # one of them was opened long ago
        connection.execute(
            text("UPDATE slack_oauth_states SET expire_at = '2000-01-01' WHERE id = :id"),
            {"id": connection.scalar(text("SELECT min(id) FROM slack_oauth_states"))},
        )
    oauth_runtime.services.installs.purge_uninstalled()
    with db.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM slack_oauth_states")) == 1


def test_a_token_about_to_expire_is_rotated_on_the_way_to_answering_a_command(
    app: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    fake_slack.oauth.expires_in = 43_200
    assert install(app, fake_slack, NEW, "U0BOSS").status == 200
    [(_, first)] = bots(db)
    in_a_minute = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=60)
    with db.begin() as connection:  # 11 hours 59 minutes later: it expires in 60 s
        for table in ("slack_bots", "slack_installations"):
            connection.execute(
                text(f"UPDATE {table} SET bot_token_expires_at = :at"), {"at": in_a_minute}
            )
    reply = app.command("/log", "call", user="U0NEWREP", team=NEW)
    assert reply.json()["text"] == "Logged 1 × Call: +1 point"
    refreshes = [
        c
        for c in fake_slack.calls_to("oauth.v2.access")
        if c.params.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1
    [(_, saved)] = bots(db)
    assert saved != first
    assert fake_slack.oauth.team_of(saved) == NEW


@pytest.mark.parametrize(
    ("tokens", "still_installed"),
    [({"bot": ["UBOT"]}, False), ({"oauth": ["U0BOSS"]}, True)],
)
def test_a_revoked_bot_token_uninstalls_and_a_revoked_user_token_does_not(
    app: SlackSender,
    fake_slack: FakeSlack,
    db: Engine,
    tokens: dict[str, list[str]],
    still_installed: bool,
) -> None:
    assert install(app, fake_slack, NEW, "U0BOSS").status == 200
    sender = SlackSender(
        base_url=app.base_url, secret=SIGNING_SECRET, response_url=app.response_url, team_id=NEW
    )
    assert (
        sender.event({"type": "tokens_revoked", "tokens": tokens}, event_id="EvRev").status == 200
    )
    with db.connect() as connection:
        active = connection.scalar(select(Workspace.active).where(Workspace.id == NEW))
    assert active is still_installed
    assert bool(bots(db)) is still_installed


def test_a_sender_alone_needs_postgresql(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'one.db'}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert main(["sender"], clock) == 2
    assert "okrbot sender runs beside other processes, which needs PostgreSQL" in (
        capsys.readouterr().err
    )


def test_with_one_bot_token_an_uninstall_switches_nothing_off(
    slack: SlackSender, db: Engine, services: Services, clock: FakeClock
) -> None:
    import_playbook(db, clock, PLAYBOOK)
    assert slack.event({"type": "app_uninstalled"}, event_id="EvOne").status == 200
    with db.connect() as connection:
        assert connection.scalar(select(Workspace.active).where(Workspace.id == "T0001")) is True
    assert services.setup.workspaces() == ["T0001"]
