"""Bringing OKRs from Viva Goals: columns mapped by header name whatever their order or
extras, owners matched by email or name, a dry run that stores nothing, and a bad row
reported by number while the rest come in."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from bot.app import build_services
from bot.cli import main
from bot.domain.okr_parsing import OkrQuery, OkrView
from bot.sandbox.slack_api import FakeSlack
from bot.services.integrations.okr_import import ref_of
from storage.models import KeyResult, Objective
from tests.conftest import FakeClock
from tests.helpers import OKR_PLAYBOOK, PLAYBOOK, import_playbook, row_counts

HEADER = [
    "Id", "Title", "Team", "Owner", "Period", "Start Date", "End Date", "Aligned To", "Unit",
    "Target", "Object Type", "Start", "Progress %", "Status", "Internal Notes",
]  # fmt: skip
ROWS = [
    ["O-1", "Win the East", "Sales East", "ann@acme.test", "FY27 Q1", "2027-01-01", "2027-03-31", "", "", "", "Objective", "", "40", "On track", "x"],
    ["KR-1", "Close 20 deals", "", "ann@acme.test", "FY27 Q1", "2027-01-01", "2027-03-31", "O-1", "deals", "20", "Key result", "0", "40", "On track", ""],
    ["KR-2", "Cut churn to 3%", "", "Bob Stone", "FY27 Q1", "2027-01-01", "2027-03-31", "O-1", "%", "3", "Key result", "5", "0", "Behind", ""],
    ["KR-3", "Ship the portal", "", "Nobody Here", "FY27 Q1", "2027-01-01", "2027-03-31", "O-1", "", "1", "Key result", "0", "0", "At risk", ""],
]  # fmt: skip


@pytest.fixture
def ready(
    db: Engine, clock: FakeClock, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Engine:
    import_playbook(db, clock, PLAYBOOK)
    fake_slack.emails["ann@acme.test"] = "U0REP1"
    with db.begin() as connection:
        connection.execute(text("UPDATE members SET name = 'Bob Stone' WHERE user_id = 'U0REP2'"))
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    return db


def write_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([HEADER, *ROWS])
    return path


def write_xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    book.save(path)
    return path


def imported(db: Engine) -> tuple[list[str], list[tuple[str, str, str, float | None]]]:
    with db.connect() as connection:
        objectives = list(connection.scalars(select(Objective.title)))
        krs = connection.execute(
            select(KeyResult.title, KeyResult.owner_id, KeyResult.kr_type, KeyResult.target_value)
        )
        return objectives, sorted(tuple(row) for row in krs)  # type: ignore[misc]


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_a_viva_goals_export_comes_in_by_header_name_and_reports_the_row_it_cannot_map(
    ready: Engine,
    clock: FakeClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    writer: object,
) -> None:
    export = writer(tmp_path / "viva.xlsx" if writer is write_xlsx else tmp_path / "viva.csv")  # type: ignore[operator]
    before = row_counts(ready)
    assert main(["import-okrs", str(export), "--dry-run"], clock) == 0
    printed = capsys.readouterr()
    assert "objective O1 (team, Sales East): Win the East → cycle FY27 Q1 [new]" in printed.out
    assert "key result K1: Close 20 deals (0.0 to 20.0 deals) [new]" in printed.out
    assert "warning: new cycle FY27 Q1: 2027-01-01 to 2027-03-31" in printed.out
    assert "Close 20 deals" in printed.out
    assert "row 5: no member matches the owner `Nobody Here`" in printed.err
    assert "Dry run: nothing was stored (1 row(s) could not be mapped)" in printed.out
    assert row_counts(ready) == before

    assert main(["import-okrs", str(export)], clock) == 0
    objectives, krs = imported(ready)
    assert objectives == ["Win the East"]
    assert krs == [
        ("Close 20 deals", "U0REP1", "increase_to", 20.0),
        ("Cut churn to 3%", "U0REP2", "decrease_to", 3.0),
    ]
    counts = row_counts(ready)
    assert main(["import-okrs", str(export)], clock) == 0  # again: the same refs, no copies
    assert row_counts(ready) == counts


def test_a_file_that_is_not_an_okr_export_is_refused_and_changes_nothing(
    ready: Engine, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "contacts.csv"
    other.write_text("Name,Email\nAnn,ann@acme.test\n", encoding="utf-8")
    before = row_counts(ready)
    assert main(["import-okrs", str(other)], clock) == 2
    assert "no id, title, object type column" in capsys.readouterr().err
    assert row_counts(ready) == before


def test_importing_a_newer_export_updates_what_it_says_and_keeps_what_okrbot_owns(
    ready: Engine, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-okrs", str(write_csv(tmp_path / "first.csv"))], clock) == 0
    objective, deals = "O1", "K1"  # okrbot's own refs; the export's ids are kept beside them
    with ready.begin() as connection:  # set in okrbot after the first import
        connection.execute(
            text("UPDATE key_results SET points = 250 WHERE ref = :ref"), {"ref": deals}
        )
        connection.execute(
            text("UPDATE objectives SET kind = 'aspirational' WHERE ref = :ref"),
            {"ref": objective},
        )
    newer = [list(row) for row in ROWS]
    newer[1][1], newer[1][9] = "Close 25 deals", "25"  # Viva changed a key result
    newer.append(
        ["KR-4", "Open 3 partners", "", "ann@acme.test", "FY27 Q1", "2027-01-01", "2027-03-31", "O-1", "partners", "3", "Key result", "0", "0", "New", ""]
    )  # fmt: skip
    second = tmp_path / "second.csv"
    with second.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([HEADER, *newer])
    capsys.readouterr()
    assert main(["import-okrs", str(second), "--dry-run"], clock) == 0
    shown = capsys.readouterr().out
    assert f"key result {deals}: Close 25 deals (0.0 to 25.0 deals) [update]" in shown
    assert "Open 3 partners (0.0 to 3.0 partners) [new]" in shown
    assert main(["import-okrs", str(second)], clock) == 0
    with ready.connect() as connection:
        kr = connection.execute(
            select(KeyResult.title, KeyResult.target_value, KeyResult.points).where(
                KeyResult.ref == deals
            )
        ).one()
        kind = connection.scalar(select(Objective.kind).where(Objective.ref == objective))
    assert tuple(kr) == ("Close 25 deals", 25.0, 250)  # Viva's target, okrbot's points
    assert kind == "aspirational"
    assert len(imported(ready)[1]) == 3

    with ready.begin() as connection:
        connection.execute(
            text("UPDATE objectives SET archived = true WHERE ref = :ref"), {"ref": objective}
        )
    assert main(["import-okrs", str(second)], clock) == 0
    assert f"objective {objective} is archived in okrbot: left as it is" in capsys.readouterr().out
    with ready.connect() as connection:
        assert connection.scalar(select(Objective.archived).where(Objective.ref == objective))


Q4_ROWS = [
    ["V-9", "Grow the West", "", "ann@acme.test", "Q4 2026", "2026-10-01", "2026-12-31", "", "", "", "Objective", "", "", "", ""],
    ["V-10", "Sign 8 partners", "", "ann@acme.test", "Q4 2026", "2026-10-01", "2026-12-31", "V-9", "partners", "8", "Key result", "0", "", "", ""],
    ["V-11", "Hold 3 workshops", "", "Bob Stone", "Nov 2026", "2026-11-01", "2026-11-30", "V-9", "", "3", "Key result", "0", "", "", ""],
]  # fmt: skip


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([header, *rows])
    return path


def test_a_period_lands_in_the_cycle_with_its_dates_and_nothing_disappears_from_views(
    ready: Engine, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_playbook(ready, clock, OKR_PLAYBOOK)  # cycle 2026-Q4, objectives O1 and O2
    header = [*HEADER, "Current"]
    rows = [[*row, current] for row, current in zip(Q4_ROWS, ["", "3", "1"], strict=True)]
    export = write_rows(tmp_path / "q4.csv", header, rows)
    assert main(["import-okrs", str(export), "--dry-run"], clock) == 0
    shown = capsys.readouterr().out
    assert "objective O3 (company): Grow the West → cycle 2026-Q4 [new]" in shown
    assert "key result K5: Sign 8 partners (0.0 to 8.0 partners), now 3.0 [new]" in shown
    assert "new cycle" not in shown
    assert main(["import-okrs", str(export)], clock) == 0
    with ready.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM cycles")).scalar() == 1
    services = build_services(ready, clock)
    page = services.okrs.page("T0001", "U0REP1", OkrQuery(view=OkrView.COMPANY))
    assert [o.ref for o in page.objectives] == ["O3"]
    mine = services.okrs.page("T0001", "U0REP1", OkrQuery(view=OkrView.MINE))
    assert {"O1", "O2"} <= {o.ref for o in mine.objectives}  # still there beside the import
    partners = services.okrs.key_result("T0001", "U0REP1", "K5").view
    assert partners.current == 3.0
    assert partners.progress == pytest.approx(3 / 8)


def test_a_target_that_is_not_a_number_is_said_so(
    ready: Engine, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [list(row) for row in ROWS[:2]]
    rows[1][9] = "lots"
    export = write_rows(tmp_path / "lots.csv", HEADER, rows)
    assert main(["import-okrs", str(export), "--dry-run"], clock) == 0
    err = capsys.readouterr().err
    assert "row 3: Target `lots` is not a number (such as 40 or 1,200)" in err
    assert "differs from its Start" not in err


def test_unknown_headers_are_listed_beside_the_ones_okrbot_reads(
    ready: Engine, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write_rows(tmp_path / "odd.csv", ["Name", "Goal", "Kind"], [["a", "b", "c"]])
    assert main(["import-okrs", str(export)], clock) == 2
    err = capsys.readouterr().err
    assert "Needed: id, title, object type" in err
    assert "also read: team, owner, period" in err
    assert "Found: `name`, `goal`, `kind`." in err


def test_an_export_imported_before_refs_were_okrbots_is_found_again(
    ready: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    """Objectives and key results an earlier version imported under `V…`/`W…` refs are
    updated by the next import, not copied."""
    import_playbook(
        ready,
        clock,
        PLAYBOOK
        + "objectives:\n"
        + f"  - ref: {ref_of('O-1', 'V')}\n    title: Old\n    level: company\n"
        + "    key_results:\n"
        + f"      - {{ref: {ref_of('KR-1', 'W')}, title: Old KR, type: increase_to, start: 0, "
        + "target: 5, owner: U0REP1}\n",
    )
    before = row_counts(ready)
    assert main(["import-okrs", str(write_csv(tmp_path / "again.csv"))], clock) == 0
    after = row_counts(ready)
    assert after["objectives"] == before["objectives"]
    assert after["key_results"] == before["key_results"] + 1  # KR-2 is new; KR-1 was there
    with ready.connect() as connection:
        title = connection.scalar(
            select(KeyResult.title).where(KeyResult.ref == ref_of("KR-1", "W"))
        )
    assert title == "Close 20 deals"
