"""A playbook names people by email and teams by Slack user group, as a manager would write
it, instead of Slack ids copied by hand; whatever Slack cannot find is reported by line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app import build_services
from bot.cli import main
from bot.domain.errors import UserError
from bot.playbook import parse_playbook
from bot.sandbox.slack_api import FakeSlack
from bot.services import Services
from bot.slack_edge import SingleToken
from storage.models import Member, Team, TeamMembership, Workspace
from tests.conftest import FakeClock
from tests.helpers import row_counts

PEOPLE = """
workspace: T0001
timezone: America/New_York
admins: [avery@acme.test]
teams:
  - name: Sales East
    channel: C0SALESEAST
    managers: [maya@acme.test]
    usergroup: "@sales-east"
  - name: Sales West
    managers: [U0MGRWEST, eva@acme.test]
    usergroup: S0WEST
  - name: Customer Success
    members: [U0IRIS, kai@acme.test]
"""


@pytest.fixture
def slack_people(fake_slack: FakeSlack) -> FakeSlack:
    fake_slack.emails.update(
        {
            "avery@acme.test": "U0ADMIN",
            "maya@acme.test": "U0MAYA",
            "eva@acme.test": "U0EVA",
            "kai@acme.test": "U0KAI",
        }
    )
    fake_slack.usergroups.update(
        {"S0EAST": ("sales-east", ["U0ANN", "U0BEN"]), "S0WEST": ("sales-west", ["U0FINN"])}
    )
    return fake_slack


@pytest.fixture
def with_slack(db: Engine, clock: FakeClock, slack_people: FakeSlack) -> Services:
    return build_services(db, clock, SingleToken("xoxb-test", slack_people.api_url))


def memberships(db: Engine) -> set[tuple[str, str, str]]:
    with db.connect() as connection:
        rows = connection.execute(
            select(Team.name, TeamMembership.user_id, TeamMembership.role).join(
                Team, Team.id == TeamMembership.team_id
            )
        )
        return {(str(name), str(user), str(role)) for name, user, role in rows}


def test_people_by_email_and_teams_by_user_group_come_in_as_slack_ids(
    with_slack: Services, db: Engine
) -> None:
    report = with_slack.setup.import_playbook(parse_playbook(PEOPLE))
    assert report.changes["teams added"] == 3
    assert memberships(db) == {
        ("Sales East", "U0MAYA", "manager"),
        ("Sales East", "U0ANN", "member"),
        ("Sales East", "U0BEN", "member"),
        ("Sales West", "U0MGRWEST", "manager"),
        ("Sales West", "U0EVA", "manager"),
        ("Sales West", "U0FINN", "member"),
        ("Customer Success", "U0IRIS", "member"),
        ("Customer Success", "U0KAI", "member"),
    }
    with db.connect() as connection:
        groups = dict(connection.execute(select(Team.name, Team.usergroup_id)).all())
        admins = connection.scalars(select(Member.user_id).where(Member.is_admin)).all()
    assert groups == {"Sales East": "S0EAST", "Sales West": "S0WEST", "Customer Success": None}
    assert list(admins) == ["U0ADMIN"]
    again = with_slack.setup.import_playbook(parse_playbook(PEOPLE))
    assert not again.changed


def test_whatever_slack_cannot_find_is_reported_by_line_and_nothing_is_stored(
    with_slack: Services, db: Engine
) -> None:
    text = PEOPLE.replace("maya@acme.test", "nobody@acme.test").replace("S0WEST", "S0GONE")
    before = row_counts(db)
    with pytest.raises(UserError) as refused:
        with_slack.setup.import_playbook(parse_playbook(text, source="pb.yaml"))
    assert refused.value.message.splitlines() == [
        "pb.yaml:8: teams[0].managers[0]: no one in Slack has the email nobody@acme.test",
        "pb.yaml:12: teams[1].usergroup: Slack has no user group S0GONE",
    ]
    assert row_counts(db) == before


def test_a_team_follows_its_user_group_daily(
    with_slack: Services, db: Engine, clock: FakeClock, slack_people: FakeSlack
) -> None:
    with_slack.setup.import_playbook(parse_playbook(PEOPLE))
    slack_people.usergroups["S0EAST"] = ("sales-east", ["U0ANN", "U0CARA"])  # Ben left, Cara came
    clock.advance(hours=2)
    assert with_slack.setup.refresh_usergroups_when_due() == 0  # read less than a day ago
    clock.advance(hours=23)
    assert with_slack.setup.refresh_usergroups_when_due() == 1
    east = {(user, role) for team, user, role in memberships(db) if team == "Sales East"}
    assert east == {("U0MAYA", "manager"), ("U0ANN", "member"), ("U0CARA", "member")}
    clock.advance(minutes=30)
    slack_people.usergroups["S0EAST"] = ("sales-east", ["U0ANN"])
    assert with_slack.setup.refresh_usergroups_when_due() == 0  # looked at this hour already
    with db.connect() as connection:
        synced = connection.scalar(
            select(Team.usergroup_synced_at).where(Team.name == "Sales East")
        )
    assert synced == clock.now() - timedelta(minutes=30)


def test_the_cli_needs_slack_to_look_people_up_and_says_so_with_the_line(
    db: Engine,
    clock: FakeClock,
    slack_people: FakeSlack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    playbook = tmp_path / "playbook.yaml"
    playbook.write_text(PEOPLE)
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    before = row_counts(db)
    assert main(["import", str(playbook)], clock) == 2
    err = capsys.readouterr().err
    assert f"{playbook}:4: admins[0]: looked up in Slack" in err
    assert f"{playbook}:8: teams[0].managers[0]: looked up in Slack" in err
    assert "set SLACK_BOT_TOKEN" in err
    assert row_counts(db) == before
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack_people.api_url)
    assert main(["import", str(playbook)], clock) == 0
    assert "T0001: teams added: 3" in capsys.readouterr().out
    with db.connect() as connection:
        assert connection.scalar(select(Workspace.id)) == "T0001"
    assert ("Sales East", "U0BEN", "member") in memberships(db)


def test_a_person_that_is_neither_an_id_nor_an_email_is_a_problem_with_a_line() -> None:
    from bot.playbook import PlaybookError

    with pytest.raises(PlaybookError) as refused:
        parse_playbook(
            PEOPLE.replace("kai@acme.test", "kai").replace(
                "    usergroup: S0WEST\n", "    usergroup: S0WEST\n    members: [U0GIA]\n"
            ),
            source="pb.yaml",
        )
    assert refused.value.problems == [
        "pb.yaml:13: teams[1].members: takes its members from `members:` or from `usergroup:`, "
        "not both (the user group is read again from Slack every day)",
        "pb.yaml:15: teams[2].members[1]: `kai` is not valid (expected a Slack user id such as "
        "U0123ABCD, or the person's email)",
    ]


def test_a_playbook_of_emails_without_slack_touches_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = tmp_path / "playbook.yaml"
    playbook.write_text(PEOPLE)
    assert main(["import", str(playbook)]) == 2
    err = capsys.readouterr().err
    assert err.count(": looked up in Slack") == 6  # every email and group, each on its line
    assert not (tmp_path / "okrbot.db").exists()  # the default database was not even made
