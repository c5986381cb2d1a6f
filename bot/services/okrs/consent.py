"""Consent around result points: owners accept key results others give them, and a manager
approves the points of personal key results, so no one can award themselves points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.errors import NotAllowed, UserError
from bot.domain.okrs import Level
from bot.services.okrs.checkins import find_key_result
from bot.services.okrs.results import award_if_achieved
from bot.services.ports import OkrRepository, WorkspaceRepository
from storage.models import KeyResult, Objective


@dataclass(frozen=True, kw_only=True)
class Invitation:
    """A key result someone else made `owner` the owner of, to accept or decline."""

    ref: str
    title: str
    objective_ref: str
    objective_title: str
    owner: str
    assigned_by: str
    points: int


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What an owner said to an assignment, for telling whoever assigned it."""

    ref: str
    title: str
    owner: str
    assigned_by: str | None
    accepted: bool
    points_awarded: int = 0


def manages(repo: WorkspaceRepository, manager: str, member: str) -> bool:
    """Whether `manager` manages a team `member` belongs to."""
    managed = set(repo.managed_team_ids(manager))
    return any(team.id in managed for team, _role in repo.teams_of(member))


def consent_for(
    repo: WorkspaceRepository, creator: str, owner: str, level: str, *, creator_is_admin: bool
) -> tuple[bool, bool]:
    """(owner accepted, points approved) for a key result `creator` makes for `owner`.

    The owner accepts unless they made it themselves or their manager or an admin did. Result
    points wait for the approval of a manager or admin other than the owner whenever the owner
    chose them: on a personal objective, or on any key result its creator owns. A manager's or
    admin's key result for someone else counts at once."""
    accepted = owner == creator or creator_is_admin or manages(repo, creator, owner)
    return accepted, level != Level.PERSONAL and owner != creator


def approvers(repo: WorkspaceRepository, kr: KeyResult) -> list[str]:
    """Who is asked to approve a key result's points: the owner's managers, else the admins
    (never the owner)."""
    managers = {
        m.user_id
        for team, _role in repo.teams_of(kr.owner_id)
        for m in repo.memberships(team.id)
        if m.role == "manager"
    }
    chosen = managers or set(repo.admin_ids())
    return sorted(chosen - {kr.owner_id})


def may_approve(repo: WorkspaceRepository, approver: str, kr: KeyResult, is_admin: bool) -> bool:
    """Admins and the owner's managers approve a key result's points, never its owner."""
    if approver == kr.owner_id:
        return False
    return is_admin or manages(repo, approver, kr.owner_id)


def approve(
    repo: WorkspaceRepository,
    okrs: OkrRepository,
    approver: str,
    ref: str,
    *,
    now: datetime,
    is_admin: bool,
) -> tuple[KeyResult, int]:
    """Approve a personal key result's points; pay them now if it is already achieved."""
    kr = find_key_result(okrs, ref, lock=True)
    if kr.points_approved:
        raise UserError(f"{kr.ref}'s points are already approved.")
    if approver == kr.owner_id:
        raise NotAllowed(f"{kr.ref} is yours: its points are approved by your manager or an admin.")
    if not may_approve(repo, approver, kr, is_admin):
        raise NotAllowed(
            f"Only a manager of <@{kr.owner_id}> or an admin can approve {kr.ref}'s points."
        )
    kr.points_approved = True
    kr.approved_by = approver
    closed = kr.final_score is not None  # approved after its cycle closed: judged as closed
    awarded = kr.points if award_if_achieved(repo, kr, now, closing=closed) else 0
    return kr, awarded


def answer_assignment(
    repo: WorkspaceRepository,
    okrs: OkrRepository,
    user: str,
    ref: str,
    *,
    accept: bool,
    now: datetime,
) -> Answer:
    """The owner accepts (it counts from now) or declines (it is archived) a key result."""
    kr = find_key_result(okrs, ref, lock=True)
    if kr.owner_id != user:
        raise NotAllowed(f"Only <@{kr.owner_id}>, its owner, can accept or decline {kr.ref}.")
    if kr.owner_accepted:
        raise UserError(f"You already accepted {kr.ref}.")
    awarded = 0
    if accept:
        kr.owner_accepted = True
        closed = kr.final_score is not None
        awarded = kr.points if award_if_achieved(repo, kr, now, closing=closed) else 0
    else:
        kr.archived = True
    return Answer(
        ref=kr.ref,
        title=kr.title,
        owner=kr.owner_id,
        assigned_by=kr.assigned_by,
        accepted=accept,
        points_awarded=awarded,
    )


def invitations(krs: list[KeyResult], objectives: dict[int, Objective]) -> list[Invitation]:
    """Assignments their owner has not answered yet."""
    return [
        Invitation(
            ref=kr.ref,
            title=kr.title,
            objective_ref=objectives[kr.objective_id].ref,
            objective_title=objectives[kr.objective_id].title,
            owner=kr.owner_id,
            assigned_by=kr.assigned_by or "",
            points=kr.points,
        )
        for kr in krs
        if not kr.owner_accepted and not kr.archived and kr.objective_id in objectives
    ]
