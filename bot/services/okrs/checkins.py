"""Recording check-ins: permissions, values by type, and the points they earn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.errors import NotAllowed, NotFound
from bot.domain.okr_parsing import parse_confidence, parse_value
from bot.domain.parsing import check_note
from bot.services.okrs.okr_views import KRView
from bot.services.okrs.results import award_checkin, award_if_achieved
from bot.services.ports import OkrRepository, WorkspaceRepository
from storage.models import KeyResult


@dataclass(frozen=True)
class CheckinResult:
    view: KRView
    checkin_points: int  # awarded for this check-in (0 if already rewarded this week)
    achieved_points: int  # awarded because the KR just reached 100% for the first time


@dataclass(frozen=True, kw_only=True)
class CheckinRow:
    """One row of the check-in form: the KR and what was typed."""

    ref: str
    value: str
    confidence: str
    note: str = ""
    blockers: str = ""


def can_check_in(
    repo: WorkspaceRepository, okrs: OkrRepository, kr: KeyResult, user_id: str
) -> bool:
    """The KR's owner, or a manager of its objective's team or of a team its owner is in."""
    if kr.owner_id == user_id:
        return True
    managed = set(repo.managed_team_ids(user_id))
    objective = okrs.objective(kr.objective_id)
    if objective is not None and objective.team_id in managed:
        return True
    return any(team.id in managed for team, _role in repo.teams_of(kr.owner_id))


def find_key_result(okrs: OkrRepository, ref: str, *, lock: bool = False) -> KeyResult:
    """The live key result with code `ref`, or NotFound."""
    kr = okrs.key_result_by_ref(ref, lock=lock)
    if kr is not None and kr.archived:
        objective = okrs.objective(kr.objective_id)
        where = f" (objective {objective.ref})" if objective else ""
        raise NotFound(
            f"{kr.ref} is archived{where}: its history stays, but it takes no check-ins."
        )
    if kr is None:
        objective = okrs.objective_by_ref(ref)
        if objective is not None:
            raise NotFound(
                f"`{ref.upper()}` is an objective; check in on one of its key results. "
                f"`/okr {objective.ref}` lists them."
            )
        raise NotFound(
            f"There is no key result `{ref.upper()}` in this workspace. `/okr` lists yours."
        )
    return kr


def record_checkin(
    repo: WorkspaceRepository,
    okrs: OkrRepository,
    now: datetime,
    checkin_points: int,
    *,
    user_id: str,
    row: CheckinRow,
) -> tuple[KeyResult, int, int]:
    """Record one check-in; return the KR, check-in points and achievement points awarded."""
    kr = find_key_result(okrs, row.ref, lock=True)
    if not can_check_in(repo, okrs, kr, user_id):
        raise NotAllowed(
            f"only <@{kr.owner_id}>, who owns it, or their manager can check in on it."
        )
    if kr.final_score is not None:
        raise NotAllowed("its cycle is closed, so its value is frozen.")
    if not kr.owner_accepted:
        raise NotAllowed(f"it is waiting for <@{kr.owner_id}> to accept it.")
    confidence = parse_confidence(row.confidence)
    note = check_note(row.note)
    value, milestones = parse_value(kr.kr_type, row.value, len(kr.milestones or []))
    kr.current_value = value
    if milestones is not None:
        kr.milestones_done = milestones
    kr.last_checkin_at = now
    okrs.add_checkin(
        key_result_id=kr.id,
        user_id=user_id,
        value=value,
        milestones_done=milestones,
        confidence=confidence,
        note=note,
        blockers=check_note(row.blockers),
        created_at=now,
    )
    data = {"key_result": kr.ref, "member": user_id, "value": value, "confidence": confidence}
    repo.emit("checkin.created", {**data, "note": note, "created_at": now.isoformat()}, now)
    checkin = checkin_points if award_checkin(repo, kr, user_id, checkin_points, now=now) else 0
    achieved = kr.points if award_if_achieved(repo, kr, now) else 0
    return kr, checkin, achieved
