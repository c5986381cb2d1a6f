"""OKRs in the playbook: validation, idempotent import by ref, export in the same format."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.playbook import PlaybookError, parse_playbook
from bot.services import Services
from storage.models import ActivityLink, KeyResult, Objective
from tests.helpers import OKR_PLAYBOOK, row_counts


def test_okr_playbook_imports_once_and_exports_back_the_same(
    services: Services, db: Engine
) -> None:
    first = services.setup.import_playbook(parse_playbook(OKR_PLAYBOOK))
    assert first.changes["objectives added"] == 2
    assert first.changes["key results added"] == 4
    assert first.changes["activity links added"] == 3
    counts = row_counts(db)
    assert not services.setup.import_playbook(parse_playbook(OKR_PLAYBOOK)).changed
    assert row_counts(db) == counts

    with db.connect() as connection:
        o2 = connection.execute(select(Objective).where(Objective.ref == "O2")).one()
        o1 = connection.execute(select(Objective).where(Objective.ref == "O1")).one()
        k4 = connection.execute(select(KeyResult).where(KeyResult.ref == "K4")).one()
        roles = sorted(connection.scalars(select(ActivityLink.role)))
    assert o2.parent_id == o1.id
    assert k4.milestones == ["Draft", "Pilot", "Launch"]
    assert roles == ["counts", "feeds", "feeds"]

    exported = services.setup.export("T0001")
    text = yaml.safe_dump(exported, sort_keys=False)
    again = parse_playbook(text)
    assert not services.setup.import_playbook(again).changed
    assert [o["ref"] for o in exported["objectives"]] == ["O1", "O2"]
    assert exported["activities"][0] == {
        "key": "demo",
        "name": "Demo",
        "points": 5,
        "counts": "K2",
        "feeds": ["K1"],
    }


def test_reimport_updates_by_ref_and_never_duplicates(services: Services, db: Engine) -> None:
    services.setup.import_playbook(parse_playbook(OKR_PLAYBOOK))
    changed = OKR_PLAYBOOK.replace(
        "Close 20 deals, type: increase_to, start: 0, target: 20",
        "Close 25 deals, type: increase_to, start: 0, target: 25",
    )
    report = services.setup.import_playbook(parse_playbook(changed))
    assert report.changes["key results updated"] == 1
    assert "key results added" not in report.changes
    with db.connect() as connection:
        assert connection.scalar(select(KeyResult.target_value).where(KeyResult.ref == "K1")) == 25
        assert len(list(connection.scalars(select(KeyResult.id)))) == 4


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ("target: 20, unit: deals", "target: 0, unit: deals"),
            "the target must differ from the start",
        ),
        (("type: stay_below", "type: stay_under"), "`stay_under` is not one of increase_to"),
        (("counts: K2", "counts: K9"), "no key result with ref `K9` in this playbook"),
        (("parent: O1", "parent: O7"), "no objective with ref `O7`"),
        (
            ("team: Sales East\n    kind", "team: Sales West\n    kind"),
            "no team named `Sales West` in this playbook",
        ),
        (
            ("title: Win the East coast", "title: " + "W" * 151),
            "must be at most 150 characters, has 151",
        ),
        (("{ref: K2,", "{ref: K1,"), "the ref `K1` is used more than once"),
        (
            ("milestones: [Draft, Pilot, Launch], ", ""),
            "a milestones key result needs a `milestones:` list",
        ),
    ],
)
def test_invalid_okr_playbooks_are_refused_whole(
    services: Services, db: Engine, change: tuple[str, str], problem: str
) -> None:
    text = OKR_PLAYBOOK.replace(*change)
    assert text != OKR_PLAYBOOK
    before = row_counts(db)
    with pytest.raises(PlaybookError) as error:
        parse_playbook(text)
    assert any(problem in line for line in error.value.problems), error.value.problems
    assert row_counts(db) == before
