"""Playbook files: validation naming line and field, idempotent import, and the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.domain.schedule import Job
from bot.playbook import PlaybookError, parse_playbook
from bot.sandbox.slack_api import FakeSlack
from bot.services import Services
from storage.db import make_engine
from storage.models import ActivityType, TeamMembership
from tests.conftest import SETTING_NAMES, FakeClock
from tests.helpers import OKR_PLAYBOOK, PLAYBOOK, row_counts

ROOT = Path(__file__).resolve().parents[1]


def problems(text: str) -> list[str]:
    with pytest.raises(PlaybookError) as error:
        parse_playbook(text, source="pb.yaml")
    return error.value.problems


def test_the_documented_playbook_is_valid() -> None:
    playbook = parse_playbook(PLAYBOOK)
    assert playbook.workspace == "T0001"
    assert playbook.timezone == "America/New_York"
    assert [(a.key, a.points, a.daily_cap) for a in playbook.activities or ()] == [
        ("call", 1, None),
        ("demo", 5, 10),
        ("proposal", 10, None),
    ]
    team = (playbook.teams or ())[0]
    assert (team.name, team.channel, team.managers, team.members) == (
        "Sales East",
        "C0SALESEAST",
        ("U0MANAGER",),
        ("U0REP1", "U0REP2", "U0REP3"),
    )


def readme_playbook() -> str:
    """The complete playbook the README tells people to copy."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    complete = [b for b in blocks if "objectives:" in b and "schedules:" in b and "teams:" in b]
    assert len(complete) == 1, "the README has one complete playbook"
    return complete[0]


def test_the_readme_playbook_imports_as_is(services: Services, db: Engine) -> None:
    playbook = parse_playbook(readme_playbook())
    report = services.setup.import_playbook(playbook)
    assert report.changes["activities added"] == 3
    assert len(playbook.objectives or ()) == 2
    assert services.setup.team_names("T0123ABCD") == ["Sales East"]
    assert [job for job, _at, on in services.scheduler.settings("T0123ABCD") if not on] == [
        Job.TEAM_DIGEST
    ]
    again = services.setup.import_playbook(parse_playbook(readme_playbook()))
    assert not again.changes


def test_the_readme_error_example_is_what_okrbot_says() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = next(line for line in readme.splitlines() if "must be a whole number" in line)
    bad = readme_playbook().replace("points: 5, daily_cap: 10", "points: -5, daily_cap: 10")
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, source="playbook.yaml")
    assert error.value.problems == [shown]


def test_points_are_bounded_unless_the_playbook_raises_the_limit() -> None:
    okr = (
        "objectives:\n"
        "  - ref: O1\n"
        "    title: Goal\n"
        "    level: company\n"
        "    key_results:\n"
        "      - {ref: K1, title: A, type: increase_to, target: .inf, owner: U0REP1}\n"
        "      - {ref: K2, title: B, type: increase_to, target: 5, owner: U0REP1, points: 50000}\n"
    )
    found = problems(
        "workspace: T0001\nactivities:\n  - {key: call, name: Call, points: 1001}\n" + okr
    )
    assert found == [
        "pb.yaml:3: activities[0].points: must be a whole number from 0 to 1000, got `1001`",
        "pb.yaml:9: objectives[0].key_results[0].target: must be a finite number, got `.inf`",
        "pb.yaml:10: objectives[0].key_results[1].points: must be a whole number from 0 to 10000, got `50000`",
    ]
    raised = parse_playbook(
        "workspace: T0001\n"
        "limits: {key_result_points: 50000, activity_points: 2000}\n"
        "activities:\n  - {key: call, name: Call, points: 1001}\n"
        + okr.replace("target: .inf", "target: 3")
    )
    assert raised.limits is not None
    assert (raised.limits.key_result, raised.limits.activity) == (50000, 2000)
    assert problems("workspace: T0001\nlimits: {key_result_points: 2000000}\n") == [
        "pb.yaml:2: limits.key_result_points: must be a whole number from 10000 to 1000000, got `2000000`"
    ]


def test_every_problem_is_reported_with_its_line_and_field() -> None:
    found = problems(
        "workspace: T0001\n"
        "timezone: Mars/Olympus\n"
        "activities:\n"
        "  - {key: call, name: Call, points: five}\n"
        "  - {key: call, name: Again, points: 1}\n"
        "  - {name: Demo, points: 5, daily_cap: 0}\n"
        "teams:\n"
        "  - {name: East, channel: sales-east, members: [bob]}\n"
        "colour: blue\n"
    )
    assert found == [
        "pb.yaml:2: timezone: unknown timezone 'Mars/Olympus' (use an IANA name such as Europe/Berlin)",
        "pb.yaml:4: activities[0].points: must be a whole number from 0 to 1000, got `five`",
        "pb.yaml:5: activities[1].key: `call` is used by another activity",
        "pb.yaml:6: activities[2]: `key` is required",
        "pb.yaml:6: activities[2].daily_cap: must be a whole number from 1 to 1000, got `0`",
        "pb.yaml:8: teams[0].channel: `sales-east` is not valid (expected a Slack channel id such as C0123ABCD)",
        "pb.yaml:8: teams[0].members[0]: `bob` is not valid (expected a Slack user id such as U0123ABCD, or the person's email)",
        "pb.yaml:9: colour: unknown field (use activities, admins, checkin_points, cycles, holidays, integrations, limits, objectives, schedules, teams, timezone, workspace)",
    ]


def test_names_units_and_milestones_are_limited_to_what_slack_and_the_database_hold() -> None:
    eleven = ", ".join(f"M{n}" for n in range(11))
    found = problems(
        "workspace: T0001\n"
        "activities:\n"
        f"  - {{key: call, name: {'n' * 81}, points: 1}}\n"
        "teams:\n"
        f"  - {{name: {'t' * 81}}}\n"
        "objectives:\n"
        "  - ref: O1\n"
        "    title: Goal\n"
        "    level: company\n"
        "    key_results:\n"
        f"      - {{ref: K1, title: A, type: increase_to, target: 5, unit: {'u' * 31}, owner: U0REP1}}\n"
        f"      - {{ref: K2, title: B, type: milestones, milestones: [{eleven}], owner: U0REP1}}\n"
        f"      - {{ref: K3, title: C, type: milestones, milestones: [{'m' * 76}], owner: U0REP1}}\n"
    )
    assert found == [
        "pb.yaml:3: activities[0].name: must be at most 80 characters, has 81",
        "pb.yaml:5: teams[0].name: must be at most 80 characters, has 81",
        "pb.yaml:11: objectives[0].key_results[0].unit: must be at most 30 characters, has 31",
        "pb.yaml:12: objectives[0].key_results[1].milestones: at most 10 milestones, has 11: split the key result in two",
        "pb.yaml:13: objectives[0].key_results[2].milestones[0]: must be at most 75 characters, has 76",
    ]


def test_an_impossible_date_is_a_problem_on_its_line() -> None:
    found = problems(
        "workspace: T0001\n"
        "cycles:\n"
        "  - {name: Q3, start: 2026-07-01, end: 2026-09-31}\n"
        "holidays: [2026-02-30]\n"
    )
    assert found == [
        "pb.yaml:3: cycles[0].end: `2026-09-31` is not a date on the calendar (YYYY-MM-DD)",
        "pb.yaml:4: holidays[0]: `2026-02-30` is not a date on the calendar (YYYY-MM-DD)",
    ]


def test_reference_problems_come_in_the_same_report_as_field_problems() -> None:
    found = problems(
        "workspace: T0001\n"
        "activities:\n"
        "  - {key: call, name: Call, points: five, feeds: [K9]}\n"
        "objectives:\n"
        "  - {ref: O1, title: Win, level: company, parent: O7, key_results: []}\n"
    )
    assert found == [
        "pb.yaml:3: activities[0].feeds[0]: no key result with ref `K9` in this playbook",
        "pb.yaml:3: activities[0].points: must be a whole number from 0 to 1000, got `five`",
        "pb.yaml:5: objectives[0].parent: no objective with ref `O7`",
    ]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("workspace: T0001\ntimezone: Europe/Berlin: yes\n", "pb.yaml:2: not valid YAML: a `:`"),
        ("workspace: T0001\nteams:\n\t- {name: East}\n", "pb.yaml:3: not valid YAML: a character"),
        ("workspace: T0001\nadmins: [U0A, U0B\n", "pb.yaml:3: not valid YAML: a `[` list is not"),
        ("workspace: T0001\nteams:\n  - name: East\n channel: C0AB\n", "pb.yaml:4: not valid"),
        ('workspace: "T0001\n', "pb.yaml:2: not valid YAML: a quote or bracket is opened"),
        ("workspace: *nothing\n", "pb.yaml:1: not valid YAML: an alias (`*name`)"),
    ],
)
def test_yaml_syntax_errors_are_said_in_plain_words_with_the_line(text: str, said: str) -> None:
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith(said), found[0]
    assert "expected <block end>" not in found[0]
    assert "could not find expected" not in found[0]


def test_missing_workspace_and_broken_yaml_are_reported() -> None:
    assert problems("timezone: UTC\n") == [
        "pb.yaml:1: workspace: is required (the Slack team id, such as T0123ABCD)"
    ]
    assert problems("workspace: T1\nactivities: [\n")[0].startswith("pb.yaml:3: not valid YAML")
    assert problems("") == ["pb.yaml: the file is empty"]


def test_importing_twice_changes_nothing_the_second_time(services: Services, db: Engine) -> None:
    first = services.setup.import_playbook(parse_playbook(PLAYBOOK))
    assert first.changes["activities added"] == 3
    assert first.changes["teams added"] == 1
    counts = row_counts(db)
    second = services.setup.import_playbook(parse_playbook(PLAYBOOK))
    assert not second.changed
    assert second.lines() == ["T0001: already up to date, nothing changed"]
    assert row_counts(db) == counts


def test_the_import_report_counts_each_thing_once(services: Services) -> None:
    with_okrs = OKR_PLAYBOOK + "holidays: [2026-12-25, 2026-12-31]\n"
    report = services.setup.import_playbook(parse_playbook(with_okrs))
    assert report.changes["objectives added"] == 2
    assert report.changes["objectives updated"] == 0  # O2's parent is set as it is added
    assert report.changes["key results added"] == 4
    assert report.changes["holidays set"] == 2
    renamed = with_okrs.replace("title: Win the East coast", "title: Win the whole East")
    again = services.setup.import_playbook(parse_playbook(renamed.replace("    parent: O1\n", "")))
    assert again.changes["objectives updated"] == 2  # O1 renamed, O2 no longer aligned
    assert "objectives added" not in again.changes


def test_an_objective_left_in_a_cycle_that_is_over_is_pointed_out(services: Services) -> None:
    ended = OKR_PLAYBOOK.replace(
        "  - {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}",
        "  - {name: 2026-Q3, start: 2026-07-01, end: 2026-09-30}",
    )
    report = services.setup.import_playbook(parse_playbook(ended))
    assert any(
        w.startswith("objective O1 is in cycle 2026-Q3, which ended on 2026-09-30")
        for w in report.warnings
    )
    fresh = services.setup.import_playbook(
        parse_playbook(OKR_PLAYBOOK.replace("workspace: T0001", "workspace: T0002"))
    )
    assert fresh.warnings == []


def test_reimport_updates_points_and_membership_and_archives_what_is_gone(
    services: Services, db: Engine
) -> None:
    services.setup.import_playbook(parse_playbook(PLAYBOOK))
    services.activities.log_text("T0001", "U0REP1", "proposal 1")
    changed = (
        PLAYBOOK.replace("points: 10}", "points: 20}")
        .replace("  - {key: call, name: Call, points: 1}\n", "")
        .replace("U0REP3]", "U0REP4]")
    )
    report = services.setup.import_playbook(parse_playbook(changed))
    assert report.changes["activities updated"] >= 1
    assert report.changes["activities archived (history kept)"] == 1
    assert report.changes["teams updated"] == 1
    with db.connect() as connection:
        types = {row.key: row for row in connection.execute(select(ActivityType))}
        members = set(connection.scalars(select(TeamMembership.user_id)))
    assert types["proposal"].points == 20
    assert types["call"].active is False
    assert members == {"U0MANAGER", "U0REP1", "U0REP2", "U0REP4"}
    # history is not rewritten: the proposal logged at 10 points stays at 10
    assert services.standings.points("T0001", "U0REP1").week.activity == 10
    # the archived activity can no longer be logged, with a clear answer
    with pytest.raises(Exception, match="I don't know the activity `call`"):
        services.activities.log_text("T0001", "U0REP1", "call")


def run_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {name: value for name, value in os.environ.items() if name not in SETTING_NAMES}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_import_is_idempotent_and_rejects_bad_files_whole(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PYTHONPATH": str(ROOT)}
    good = tmp_path / "playbook.yaml"
    good.write_text(PLAYBOOK)
    first = run_cli("import", str(good), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "T0001: activities added: 3" in first.stdout
    assert f"Database: sqlite:///{tmp_path / 'cli.db'} (DATABASE_URL)" in first.stderr
    default = run_cli("import", str(good), cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert "Database: sqlite:///okrbot.db (the default; set DATABASE_URL" in default.stderr
    again = run_cli("import", str(good), cwd=tmp_path, env=env)
    assert again.stdout.strip() == "T0001: already up to date, nothing changed"

    bad = tmp_path / "bad.yaml"
    bad.write_text(PLAYBOOK.replace("points: 5, daily_cap: 10", "points: -5"))
    result = run_cli("import", str(bad), cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert (
        f"{bad}:6: activities[1].points: must be a whole number from 0 to 1000, got `-5`"
        in result.stderr
    )
    assert "nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
    unchanged = run_cli("import", str(good), cwd=tmp_path, env=env)
    assert "nothing changed" in unchanged.stdout


def test_serve_without_slack_settings_says_what_to_set(tmp_path: Path) -> None:
    result = run_cli("serve", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("okrbot: SLACK_BOT_TOKEN is not set")
    assert "app.yaml" in lines[0]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_SIGNING_SECRET": "s"},
            "must be a bot token starting with xoxb-",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"PORT": "eighty"}, "PORT must be a number from 1 to 65535"),
        ({"DATABASE_TIMEOUT": "forever"}, "DATABASE_TIMEOUT must be a number of seconds"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL 'not a url' is not a database URL"),
        ({"SLACK_API_URL": "slack.test"}, "SLACK_API_URL must be an http(s) URL"),
    ],
)
def test_malformed_settings_are_one_clear_line(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = run_cli("serve", cwd=tmp_path, env={"PYTHONPATH": str(ROOT), **env})
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nPORT=99999\n")
    result = run_cli("serve", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert "PORT must be a number" in result.stderr  # the .env file was read


def test_db_upgrade_applies_then_reports_up_to_date(tmp_path: Path, clock: FakeClock) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'up.db'}", "PYTHONPATH": str(ROOT)}
    first = run_cli("db", "upgrade", cwd=tmp_path, env=env)
    assert first.returncode == 0
    assert "applied 0001" in first.stderr
    assert "up to date" in run_cli("db", "upgrade", cwd=tmp_path, env=env).stderr


def test_schedules_and_holidays_are_validated() -> None:
    found = problems(
        "workspace: T0001\n"
        "holidays: [2026-12-25, christmas]\n"
        "schedules:\n"
        "  activity-nudge: {at: '25:00', days: [mon, funday]}\n"
        "  coffee-break: {at: '10:00'}\n"
        "  leaderboard-post: {enabled: maybe}\n"
    )
    assert found == [
        "pb.yaml:2: holidays[1]: must be a date like 2026-10-01, got `christmas`",
        'pb.yaml:4: schedules.activity-nudge.at: `25:00` is not valid (a 24-hour time in quotes, such as "16:00")',
        "pb.yaml:4: schedules.activity-nudge.days[1]: `funday` is not one of mon, tue, wed, thu, fri, sat, sun",
        "pb.yaml:5: schedules.coffee-break: unknown field (use activity-nudge, checkin-reminder, leaderboard-post, manager-digest, team-digest)",
        "pb.yaml:6: schedules.leaderboard-post.enabled: must be true or false",
    ]


def test_each_problem_is_reported_once_and_shapes_are_named() -> None:
    found = problems(
        "workspace: T0001\n"
        "activities: call\n"
        "teams:\n"
        "  - East\n"
        "schedules:\n"
        "  activity-nudge: {at: '10:00', colour: red, at: '11:00'}\n"
        "  team-digest:\n"
        "    teams: {East: {at: '09:00', teams: x}, West: 3}\n"
    )
    assert found == [
        "pb.yaml:2: activities: expected a list",
        "pb.yaml:4: teams[0]: expected a mapping of `field: value`",
        "pb.yaml:6: schedules.activity-nudge.at: appears twice",
        "pb.yaml:6: schedules.activity-nudge.colour: unknown field (use at, days, enabled, teams)",
        "pb.yaml:8: schedules.team-digest.teams.East.teams: unknown field (use at, days, enabled)",
        "pb.yaml:8: schedules.team-digest.teams.West: expected a mapping of `field: value`",
    ]


def test_schedules_are_read_into_typed_settings_that_the_scheduler_follows(
    services: Services, db: Engine
) -> None:
    playbook = parse_playbook(
        PLAYBOOK + "schedules:\n"
        "  activity-nudge: {at: '15:30', days: [fri, mon]}\n"
        "  team-digest:\n"
        "    enabled: false\n"
        "    teams: {Sales East: {enabled: true, at: '08:00'}}\n"
    )
    settings = playbook.schedules or {}
    assert settings[Job.ACTIVITY_NUDGE].change.days == (4, 0)
    assert settings[Job.TEAM_DIGEST].change.enabled is False
    services.setup.import_playbook(playbook)
    assert {job: at for job, at, _on in services.scheduler.settings("T0001")} == {
        Job.ACTIVITY_NUDGE: "15:30 mon,fri",
        Job.CHECKIN_REMINDER: "10:00 fri",
        Job.MANAGER_DIGEST: "09:00 mon",
        Job.TEAM_DIGEST: "09:30 mon (off)",
        Job.LEADERBOARD_POST: "16:00 fri",
    }
    assert not services.setup.import_playbook(playbook).changed  # stored as read


def test_the_grace_window_is_a_setting(tmp_path: Path) -> None:
    result = run_cli(
        "serve", cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "SCHEDULER_GRACE_HOURS": "forever"}
    )
    assert result.returncode == 2
    assert "SCHEDULER_GRACE_HOURS must be a number of hours from 0 to 24" in result.stderr


def test_the_demo_never_touches_a_database_other_than_the_sandboxs(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}", "PYTHONPATH": str(ROOT)}
    result = run_cli("demo", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "okrbot demo only loads into the sandbox's own database" in result.stderr
    assert not (tmp_path / "prod.db").exists()


def test_run_opens_the_sandbox_without_credentials_and_serves_slack_with_them(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    import socket
    import urllib.error
    import urllib.request

    def free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    def start(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
        full = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
        full.update({"PYTHONPATH": str(ROOT), "HOST": "127.0.0.1", **env})
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=full,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        for line in process.stdout:  # ready once it says where it listens
            if "okrbot sandbox: open" in line or "listening on" in line:
                return process, line
        raise AssertionError("it never said where it listens")

    def status(url: str) -> int:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return error.code

    port = free_port()
    sandbox, line = start({"PORT": str(port)})
    try:
        assert f"okrbot sandbox: open http://127.0.0.1:{port}/" in line
        assert "credentials in .env" in line
        assert status(f"http://127.0.0.1:{port}/sandbox/setup") == 200
        assert (tmp_path / "okrbot-sandbox.db").exists()
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)

    port = free_port()
    slack, _line = start(
        {
            "PORT": str(port),
            "SLACK_BOT_TOKEN": "xoxb-real",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": fake_slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'real.db'}",
        }
    )
    try:
        assert status(f"http://127.0.0.1:{port}/sandbox/setup") == 404  # never in production
        assert status(f"http://127.0.0.1:{port}/") == 404
        assert status(f"http://127.0.0.1:{port}/slack/install") == 404  # one workspace: no install
    finally:
        slack.terminate()
        slack.wait(timeout=30)

    port = free_port()
    many, _line = start(
        {
            "PORT": str(port),
            "SLACK_CLIENT_ID": "1111.2222",
            "SLACK_CLIENT_SECRET": "secret",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": fake_slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'many.db'}",
        }
    )
    try:  # `okrbot run` with OAuth credentials serves the Add to Slack page
        assert status(f"http://127.0.0.1:{port}/slack/install") == 200
        assert status(f"http://127.0.0.1:{port}/sandbox/setup") == 404
    finally:
        many.terminate()
        many.wait(timeout=30)


def test_demo_reloads_the_sandbox_database_afresh(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(ROOT)}
    assert run_cli("demo", cwd=tmp_path, env=env).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'okrbot-sandbox.db'}")
    try:
        first = row_counts(engine)
        engine.dispose()
        assert run_cli("demo", cwd=tmp_path, env=env).returncode == 0
        assert row_counts(engine) == first  # reloaded, not doubled
        assert first["activity_logs"] > 100
    finally:
        engine.dispose()
