"""`/okr`, `/checkin`, and the check-in and new-objective forms."""

from __future__ import annotations

from typing import Any, assert_never

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.domain.errors import UserError, clip
from bot.domain.okr_parsing import KRDraft, ObjectiveDraft, OkrView, parse_checkin, parse_okr
from bot.domain.parsing import is_help
from bot.services import Services
from bot.services.checkins import CheckinRow
from bot.services.okrs import OkrPage
from handlers import blockkit, ids, okr_blocks, okr_forms
from handlers.home import publish_home
from handlers.listen import bound, command, then, without_text
from handlers.replies import (
    answer_errors,
    form_errors,
    form_values,
    private_metadata,
    workspace_of,
)

State = dict[str, dict[str, dict[str, Any]]]


def _typed(state: State, block: str, action: str) -> str:
    element = state.get(block, {}).get(action, {})
    selected = element.get("selected_option")
    chosen = selected.get("value") if isinstance(selected, dict) else None
    return str(element.get("value") or chosen or element.get("selected_user") or "")


def objective_draft(state: State) -> ObjectiveDraft:
    """Read the new-objective form."""
    rows = []
    numbers = sorted({parts[0] for block in state if (parts := ids.kr_block_parts(block))})
    for number in numbers:

        def typed(part: str, number: int = number) -> str:
            return _typed(state, ids.kr_block(number, part), part)

        rows.append(
            KRDraft(
                title=typed("title"),
                kr_type=typed("type"),
                start=typed("start"),
                target=typed("target"),
                unit=typed("unit"),
                points=typed("points"),
                owner=typed("owner"),
                milestones=typed("milestones"),
            )
        )
    return ObjectiveDraft(
        title=_typed(state, "title", "title"),
        level=_typed(state, "level", "level") or "personal",
        kind=_typed(state, "kind", "kind") or "committed",
        team=_typed(state, "team", "team"),
        parent=_typed(state, "parent", "parent"),
        key_results=rows,
    )


def form_refs(view: dict[str, Any]) -> list[str]:
    """The key-result codes the check-in form was built for (its private_metadata)."""
    refs = private_metadata(view, [])
    return [str(ref) for ref in refs] if isinstance(refs, list) else []


def checkin_rows(view: dict[str, Any]) -> tuple[list[CheckinRow], dict[str, str]]:
    """Read the filled rows of the check-in form, and errors for half-filled ones."""
    state: State = form_values(view)
    rows, errors = [], {}
    for ref in form_refs(view):
        element = state.get(f"value:{ref}", {}).get("value", {})
        confidence = _typed(state, f"confidence:{ref}", "confidence")
        if element.get("type") == "checkboxes":
            if not confidence:
                continue  # milestone boxes are always sent: a confidence marks the row as filled
            ticked = element.get("selected_options")
            ticked = ticked if isinstance(ticked, list) else []
            value = "ticks:" + ",".join(
                str(option.get("value")) for option in ticked if isinstance(option, dict)
            )
        else:
            value = _typed(state, f"value:{ref}", "value").strip()
        if not value:
            continue
        if not confidence:
            errors[f"confidence:{ref}"] = "Pick how confident you are, 0 to 10."
        note = _typed(state, f"note:{ref}", "note")
        blockers = _typed(state, f"blockers:{ref}", "blockers")
        rows.append(CheckinRow(ref, value, confidence, note, blockers))
    if not rows and not errors:
        refs = form_refs(view)
        if refs:
            errors[f"value:{refs[0]}"] = "Fill in a new value for at least one key result."
    return rows, errors


def open_checkin(
    services: Services, client: WebClient, workspace: str, user: str, trigger: str
) -> None:
    krs = services.okrs.open_key_results(workspace, user)
    client.views_open(trigger_id=trigger, view=okr_forms.checkin_modal(krs))


def open_new_objective(
    services: Services, client: WebClient, workspace: str, user: str, trigger: str
) -> None:
    teams = services.okrs.team_names(workspace, user)
    client.views_open(trigger_id=trigger, view=okr_forms.new_objective_modal(teams))


def okr_answer(services: Services, command: dict[str, Any], context: BoltContext) -> dict[str, Any]:
    caller, workspace = command["user_id"], workspace_of(context)
    query = parse_okr(command.get("text") or "")
    match query.view:
        case OkrView.HELP:
            return {"text": okr_blocks.OKR_HELP}
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
                workspace, caller, query.ref or "", query.score or 0.0, query.reason
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
        services, client, workspace_of(context), command["user_id"], command["trigger_id"]
    )


def checkin_answer(
    services: Services, command: dict[str, Any], context: BoltContext
) -> dict[str, Any]:
    text = command.get("text") or ""
    if is_help(text):
        return {"text": okr_blocks.CHECKIN_HELP}
    quick = parse_checkin(text)
    row = CheckinRow(quick.ref, quick.value, str(quick.confidence), quick.note)
    results = services.okrs.check_in(workspace_of(context), command["user_id"], [row])
    return okr_blocks.checkin_message(results)


def checkin_form(
    services: Services, command: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    open_checkin(services, client, workspace_of(context), command["user_id"], command["trigger_id"])


def checkin_submitted(
    services: Services, ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    if not form_refs(view):  # a form okrbot did not build, or lost its list of key results
        ack(response_action="update", view=okr_forms.stale_form_view())
        return
    rows, errors = checkin_rows(view)
    if errors:
        ack(response_action="errors", errors=form_errors(view, errors, "title"))
        return
    try:
        results = services.okrs.check_in(workspace_of(context), body["user"]["id"], rows)
    except UserError as error:
        block = error.field if error.field and ":" in error.field else f"value:{rows[0].ref}"
        errors = form_errors(view, {block: error.message}, f"value:{rows[0].ref}")
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=okr_forms.checked_in_view(results))


def objective_submitted(
    services: Services, ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    draft = objective_draft(form_values(view))
    try:
        created = services.okrs.create_objective(workspace_of(context), body["user"]["id"], draft)
    except UserError as error:
        errors = form_errors(view, {error.field or "title": error.message}, "title")
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=okr_forms.created_view(created))


def invite_owners(services: Services, context: BoltContext) -> None:
    """After a new objective: ask the owners someone else chose to accept their key results."""
    services.scheduler.send_invitations(workspace_of(context))


def answer_assignment(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    accept = action.get("action_id") == ids.ACTION_ACCEPT_KR

    def work() -> None:
        answer = services.okrs.answer_assignment(
            workspace_of(context), body["user"]["id"], str(action.get("value") or ""), accept
        )
        if answer.accepted:
            earned = (
                f" It is already achieved: +{blockkit.plural(answer.points_awarded, 'point')}."
                if answer.points_awarded
                else ""
            )
            text = f":white_check_mark: You own `{answer.ref}` {answer.title} now.{earned}"
        else:
            text = f":x: You declined `{answer.ref}` {answer.title}; it is archived."
        respond(replace_original=True, text=text)
        if answer.assigned_by:
            said = "accepted" if answer.accepted else "declined"
            client.chat_postMessage(
                channel=answer.assigned_by,
                text=f"<@{answer.owner}> {said} `{answer.ref}` {answer.title}.",
            )

    answer_errors(respond, work, "accept or decline")


def approve_points(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    user, workspace = body["user"]["id"], workspace_of(context)
    try:
        view, awarded = services.okrs.approve_points(
            workspace, user, str(action.get("value") or "")
        )
    except UserError as error:
        client.chat_postMessage(channel=user, text=f":warning: {error.message}")
        return
    earned = f" It is achieved: +{blockkit.plural(awarded, 'point')}." if awarded else ""
    client.chat_postMessage(
        channel=view.owner_id,
        text=f":tada: <@{user}> approved the points of `{view.ref}` {view.title}.{earned}",
    )
    publish_home(services, client, workspace, user)


def open_checkin_button(
    services: Services, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    open_checkin(services, client, workspace_of(context), body["user"]["id"], body["trigger_id"])


def open_new_objective_button(
    services: Services, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    open_new_objective(
        services, client, workspace_of(context), body["user"]["id"], body["trigger_id"]
    )


def close_cycle_button(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    user, workspace = body["user"]["id"], workspace_of(context)
    # The button's confirm dialog said how early it is: pressing it confirms an early close.
    name, _, early = str(action.get("value") or "").partition("|")
    try:
        report = services.okrs.close_cycle(
            workspace, name or None, by_user=user, early=early == "early"
        )
    except UserError as error:
        client.chat_postMessage(channel=user, text=f":warning: {error.message}")
        return
    lines = [f"`{ref}` {final:.2f} — {title}" for ref, title, final in report.scores]
    when = f", {report.days_early} day(s) early" if report.days_early else ""
    summary = f":checkered_flag: *{report.name} is closed{when}.* Final scores:\n" + "\n".join(
        lines
    )
    client.chat_postMessage(channel=user, text=clip(summary, 3000))
    publish_home(services, client, workspace, user)


def register(app: App, services: Services) -> None:
    """Attach the OKR listeners to `app`."""
    then(app.action(ids.ACTION_CLOSE_CYCLE), bound(close_cycle_button, services))
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
    app.view(ids.VIEW_CHECKIN)(bound(checkin_submitted, services))
    then(
        app.view(ids.VIEW_NEW_OBJECTIVE),
        bound(invite_owners, services),
        ack=bound(objective_submitted, services),
    )
    then(app.action(ids.ACTION_ACCEPT_KR), bound(answer_assignment, services))
    then(app.action(ids.ACTION_DECLINE_KR), bound(answer_assignment, services))
    then(app.action(ids.ACTION_APPROVE_POINTS), bound(approve_points, services))
