"""`/okr`, `/checkin`, and the check-in and new-objective forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_never

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import UserError
from bot.domain.okr_parsing import OkrView, away_example, parse_checkin, parse_okr
from bot.domain.parsing import is_help
from bot.services import Services
from bot.services.okrs.checkins import CheckinRow
from bot.services.okrs.service import OkrPage
from handlers import ids
from handlers.blockkit import notice_modal
from handlers.listen import bound, command, then, without_text
from handlers.okrs import okr_blocks, okr_forms
from handlers.okrs.okr_form_state import checkin_rows, form_refs, objective_draft
from handlers.replies import (
    answered_once,
    command_key,
    form_errors,
    form_key,
    form_values,
    in_time,
    late_form,
    workspace_of,
)


def open_checkin(
    services: Services, client: WebClient, workspace: str, user: str, *, trigger: str
) -> None:
    krs = services.okrs.open_key_results(workspace, user)
    client.views_open(trigger_id=trigger, view=okr_forms.checkin_modal(krs))


def open_new_objective(
    services: Services, client: WebClient, workspace: str, user: str, *, trigger: str
) -> None:
    teams = services.okrs.team_names(workspace, user)
    client.views_open(trigger_id=trigger, view=okr_forms.new_objective_modal(teams))


def okr_answer(services: Services, command: dict[str, Any], context: BoltContext) -> dict[str, Any]:
    caller, workspace = command["user_id"], workspace_of(context)
    today = services.okrs.ctx.clock.now().date()
    query = parse_okr(command.get("text") or "", today)
    match query.view:
        case OkrView.HELP:
            return {"text": f"{okr_blocks.OKR_HELP}\nFor example: `{away_example(today)}`."}
        case OkrView.KR:
            found = services.okrs.lookup(workspace, caller, query.ref or "")
            if isinstance(found, OkrPage):
                return okr_blocks.page_message(found)
            return okr_blocks.detail_message(found)
        case OkrView.AWAY:
            services.scheduler.set_away(workspace, caller, query.until)
            until = query.until.isoformat() if query.until else ""
            return {
                "text": f":palm_tree: Nudges and reminders paused until {until}, included. "
                "`/okr back` resumes them."
            }
        case OkrView.BACK:
            services.scheduler.set_away(workspace, caller, None)
            return {"text": ":wave: Welcome back: nudges and reminders are on again."}
        case OkrView.ARCHIVE:
            title = services.okrs.archive_objective(workspace, caller, query.ref or "")
            return {"text": f":file_cabinet: Archived {query.ref}: {title}."}
        case OkrView.SCORE:
            view = services.okrs.override_score(
                workspace, caller, query.ref or "", query.score or 0.0, reason=query.reason
            )
            return {"text": f":memo: {view.ref} final score is now {view.final_score:.2f}."}
        case OkrView.MINE | OkrView.MEMBER | OkrView.TEAM | OkrView.COMPANY | OkrView.NEW:
            # `/okr new` alone opens the form; with more words it shows your page
            return okr_blocks.page_message(services.okrs.page(workspace, caller, query))
        case _:
            assert_never(query.view)


def wants_form(command: dict[str, Any]) -> bool:
    words = str(command.get("text") or "").split()
    return [w.casefold() for w in words] == ["new"]


def new_objective_form(
    services: Services, command: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    open_new_objective(
        services, client, workspace_of(context), command["user_id"], trigger=command["trigger_id"]
    )


ALREADY_CHECKED_IN = {"text": ":white_check_mark: That check-in was saved already."}
ALREADY_SAVED = {
    "response_action": "update",
    "view": notice_modal("Saved", ":white_check_mark: This form was saved already."),
}


def checkin_answer(
    services: Services, command: dict[str, Any], context: BoltContext
) -> dict[str, Any]:
    text = command.get("text") or ""
    if is_help(text):
        return {"text": okr_blocks.CHECKIN_HELP}
    quick = parse_checkin(text)
    row = CheckinRow(
        ref=quick.ref, value=quick.value, confidence=str(quick.confidence), note=quick.note
    )
    workspace = workspace_of(context)

    def work(key: str | None) -> dict[str, Any]:
        results = services.okrs.check_in(workspace, command["user_id"], [row], request_key=key)
        return okr_blocks.checkin_message(results)

    return answered_once(services, workspace, command_key(command), work, repeat=ALREADY_CHECKED_IN)


def checkin_form(
    services: Services, command: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    open_checkin(
        services, client, workspace_of(context), command["user_id"], trigger=command["trigger_id"]
    )


def _saved_once(
    services: Services,
    workspace: str,
    view: dict[str, Any],
    work: Callable[[str | None], dict[str, Any]],
    *,
    fallback: str,
    field_of: Callable[[UserError], str] | None = None,
) -> dict[str, Any]:
    """A form's answer: `work` stores it once however often it is submitted (answered_once),
    within the request's deadline (in_time); a UserError shows on its field (`field_of`, by
    default the error's, else `fallback`), and a late answer on `fallback`."""

    def keep() -> dict[str, Any]:
        try:
            return answered_once(services, workspace, form_key(view), work, repeat=ALREADY_SAVED)
        except UserError as error:
            field = field_of(error) if field_of else error.field or fallback
            return {
                "response_action": "errors",
                "errors": form_errors(view, {field: error.message}, fallback),
            }

    callback = str(view.get("callback_id") or "a form")
    return in_time(keep, late_form(view, fallback), callback)


def checkin_submitted(
    services: Services,
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    context: BoltContext,
) -> None:
    if not form_refs(view):  # a form okrbot did not build, or lost its list of key results
        ack(response_action="update", view=okr_forms.stale_form_view())
        return
    rows, errors = checkin_rows(view)
    if errors:
        ack(response_action="errors", errors=form_errors(view, errors, "title"))
        return
    workspace, user = workspace_of(context), body["user"]["id"]

    def work(key: str | None) -> dict[str, Any]:
        results = services.okrs.check_in(workspace, user, rows, request_key=key)
        return {"response_action": "update", "view": okr_forms.checked_in_view(results)}

    first = f"value:{rows[0].ref}"

    def field_of(error: UserError) -> str:
        return error.field if error.field and ":" in error.field else first

    ack(**_saved_once(services, workspace, view, work, fallback=first, field_of=field_of))


def objective_submitted(
    services: Services,
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    context: BoltContext,
) -> None:
    draft = objective_draft(form_values(view))
    workspace, user = workspace_of(context), body["user"]["id"]

    def work(key: str | None) -> dict[str, Any]:
        created = services.okrs.create_objective(workspace, user, draft, request_key=key)
        return {"response_action": "update", "view": okr_forms.created_view(created)}

    ack(**_saved_once(services, workspace, view, work, fallback="title"))


def invite_owners(services: Services, context: BoltContext) -> None:
    """After a new objective: ask the owners someone else chose to accept their key results."""
    services.scheduler.send_invitations(workspace_of(context))


def open_checkin_button(
    services: Services, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    open_checkin(
        services, client, workspace_of(context), body["user"]["id"], trigger=body["trigger_id"]
    )


def open_new_objective_button(
    services: Services, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    open_new_objective(
        services, client, workspace_of(context), body["user"]["id"], trigger=body["trigger_id"]
    )


def add_key_result(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    """Add a key result to the new-objective form; what was typed stays (same block ids)."""
    view = body.get("view") or {}
    try:
        count = int(str(action.get("value") or "2"))
    except ValueError:
        count = 2
    teams = services.okrs.team_names(workspace_of(context), body["user"]["id"])
    try:
        client.views_update(
            view_id=view.get("id"),
            hash=view.get("hash"),
            view=okr_forms.new_objective_modal(teams, count),
        )
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        # A second click on a form an earlier click has already changed: that one stands.


def register(app: App, services: Services) -> None:
    """Attach the OKR listeners to `app`."""
    command(
        app,
        ids.COMMAND_OKR,
        bound(okr_answer, services),
        "/okr",
        slow=wants_form,
        later=bound(new_objective_form, services),
    )
    command(
        app,
        ids.COMMAND_CHECKIN,
        bound(checkin_answer, services),
        "/checkin",
        slow=without_text,
        later=bound(checkin_form, services),
    )
    then(app.action(ids.ACTION_OPEN_CHECKIN), bound(open_checkin_button, services))
    then(app.action(ids.ACTION_OPEN_NEW_OBJECTIVE), bound(open_new_objective_button, services))
    then(app.action(ids.ACTION_ADD_KEY_RESULT), bound(add_key_result, services))
    app.view(ids.VIEW_CHECKIN)(bound(checkin_submitted, services))
    then(
        app.view(ids.VIEW_NEW_OBJECTIVE),
        bound(invite_owners, services),
        ack=bound(objective_submitted, services),
    )
