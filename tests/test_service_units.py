"""Use cases run against an in-memory unit of work: the services need storage only through
its protocols, and keep nothing they did not commit."""

from __future__ import annotations

import pytest

from bot.domain.errors import NotAllowed
from bot.domain.schedule import Job
from bot.services.context import ServiceContext
from bot.services.schedule.scheduler import SchedulerService
from tests.conftest import FakeClock
from tests.fakes import FakeUnitOfWork, FakeWorkspace


class NoOutbox:
    def post(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("these use cases send nothing")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork()
    fake.committed.workspaces["T0001"] = FakeWorkspace("T0001")
    fake.committed.workspaces["T0002"] = FakeWorkspace("T0002")
    fake.committed.posts.add(("T0001", "C0SALES", "1.000100"))
    return fake


@pytest.fixture
def scheduler(uow: FakeUnitOfWork) -> SchedulerService:
    return SchedulerService(ServiceContext(uow=uow, clock=FakeClock()), NoOutbox())  # type: ignore[arg-type]


def on(scheduler: SchedulerService, workspace: str) -> dict[Job, bool]:
    return {job: enabled for job, _at, enabled in scheduler.settings(workspace)}


def test_an_admin_switches_a_job_off_for_their_workspace_only(
    scheduler: SchedulerService, uow: FakeUnitOfWork
) -> None:
    scheduler.switch("T0001", "U0ADMIN", Job.LEADERBOARD_POST, False, is_admin=lambda: True)
    assert on(scheduler, "T0001")[Job.LEADERBOARD_POST] is False
    assert on(scheduler, "T0002")[Job.LEADERBOARD_POST] is True
    assert uow.committed.workspaces["T0001"].schedules == {"leaderboard-post": {"enabled": False}}


def test_a_member_cannot_switch_jobs_and_slack_is_asked_before_any_transaction(
    scheduler: SchedulerService, uow: FakeUnitOfWork
) -> None:
    def is_admin() -> bool:
        assert not uow.open, "Slack is asked while a transaction is open"
        return False

    with pytest.raises(NotAllowed, match="Only workspace admins"):
        scheduler.switch("T0001", "U0REP1", Job.LEADERBOARD_POST, False, is_admin=is_admin)
    assert uow.commits == 0
    assert all(on(scheduler, "T0001").values())


def test_a_reaction_counts_once_and_only_on_our_posts(
    scheduler: SchedulerService, uow: FakeUnitOfWork
) -> None:
    assert (
        scheduler.record_reaction("T0001", "C0SALES", "1.000100", "U0REP1", reaction="fire") is True
    )
    assert (
        scheduler.record_reaction("T0001", "C0SALES", "1.000100", "U0REP1", reaction="fire")
        is False
    )
    commits = uow.commits
    assert (
        scheduler.record_reaction("T0001", "C0SALES", "9.999999", "U0REP1", reaction="fire")
        is False
    )
    assert (
        scheduler.record_reaction("T0002", "C0SALES", "1.000100", "U0REP1", reaction="fire")
        is False
    )
    assert uow.committed.reactions == {("T0001", "C0SALES", "1.000100", "U0REP1", "fire")}
    assert uow.commits == commits  # nothing is written for messages that are not ours


def test_the_app_id_is_written_only_when_it_changes(
    scheduler: SchedulerService, uow: FakeUnitOfWork
) -> None:
    scheduler.remember_app_id("T0001", "A0OKRBOT")
    scheduler.remember_app_id("T0001", "A0OKRBOT")
    assert uow.committed.workspaces["T0001"].app_id == "A0OKRBOT"
    assert uow.commits == 1
