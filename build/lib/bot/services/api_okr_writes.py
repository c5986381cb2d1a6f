"""The API's OKR writes: each made for a member, with that member's rights in Slack."""

from __future__ import annotations

from bot.domain.errors import NotFound
from bot.domain.objective_drafts import KRDraft, ObjectiveDraft
from bot.services.api_types import Caller
from bot.services.context import ServiceContext
from bot.services.okr_edits import KeyResultChange, ObjectiveChange
from bot.services.okr_view_models import KRView, ObjectiveView
from bot.services.okrs import OkrService


class ApiOkrWrites:
    """New and changed objectives and key results, under the `okrs:write` scope."""

    ctx: ServiceContext
    okrs: OkrService

    def create_objective(self, caller: Caller, member: str, draft: ObjectiveDraft) -> ObjectiveView:
        """An objective created for `member`, with their rights, as `/okr new` would."""
        self._acting_for(caller, member)
        return self.okrs.create_objective(caller.workspace, member, draft)

    def change_objective(
        self, caller: Caller, member: str, ref: str, change: ObjectiveChange
    ) -> ObjectiveView:
        """An objective changed by `member`, who must be allowed to change it in Slack."""
        self._acting_for(caller, member)
        return self.okrs.change_objective(caller.workspace, member, ref, change)

    def add_key_result(
        self, caller: Caller, member: str, objective_ref: str, draft: KRDraft
    ) -> KRView:
        """A key result added to an objective by `member`, with their rights."""
        self._acting_for(caller, member)
        return self.okrs.add_key_result(caller.workspace, member, objective_ref, draft)

    def change_key_result(
        self, caller: Caller, member: str, ref: str, change: KeyResultChange
    ) -> KRView:
        """A key result changed by `member`, with their rights."""
        self._acting_for(caller, member)
        return self.okrs.change_key_result(caller.workspace, member, ref, change)

    def _acting_for(self, caller: Caller, member: str) -> None:
        caller.require("okrs:write")
        with self.ctx.uow() as uow:
            if uow.repo(caller.workspace).member(member) is None:
                raise NotFound(f"`{member}` is not a member of this workspace.", field="member")
