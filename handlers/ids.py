"""Every Slack identifier okrbot uses, in one place. The manifest test reads this module."""

import re

from bot.domain.objective_drafts import kr_field, kr_field_parts

COMMAND_LOG = "/log"
COMMAND_POINTS = "/points"
COMMAND_LEADERBOARD = "/leaderboard"

EVENT_APP_HOME_OPENED = "app_home_opened"

ACTION_UNDO = "log_undo"
ACTION_LOG_SUGGESTION = "log_suggestion"  # "Did you mean call?": log it, quantity and note kept
ACTION_ADD_KEY_RESULT = "add_key_result"  # the new-objective form: one more key result
ACTION_SHARE_BOARD = "leaderboard_share"
ACTION_OPEN_LOG_MODAL = "open_log_modal"

VIEW_LOG = "log_modal"
BLOCK_ACTIVITY = "activity"
BLOCK_QUANTITY = "quantity"
BLOCK_NOTE = "note"
INPUT_ACTIVITY = "activity_input"
INPUT_QUANTITY = "quantity_input"
INPUT_NOTE = "note_input"

COMMAND_OKR = "/okr"
COMMAND_CHECKIN = "/checkin"
COMMANDS = (COMMAND_LOG, COMMAND_POINTS, COMMAND_LEADERBOARD, COMMAND_OKR, COMMAND_CHECKIN)
# Commands that a repeated delivery cannot make do anything twice: `/log` records by its
# trigger id once, the others only read. They skip the per-delivery bookkeeping.
REPEAT_SAFE_COMMANDS = frozenset({COMMAND_LOG, COMMAND_POINTS, COMMAND_LEADERBOARD})

ACTION_OPEN_CHECKIN = "open_checkin_modal"
ACTION_OPEN_NEW_OBJECTIVE = "open_new_objective_modal"
VIEW_CHECKIN = "checkin_modal"
VIEW_NEW_OBJECTIVE = "new_objective_modal"
ACTION_CLOSE_CYCLE = "close_cycle"

EVENT_REACTION_ADDED = "reaction_added"
EVENT_APP_UNINSTALLED = "app_uninstalled"
EVENT_TOKENS_REVOKED = "tokens_revoked"
EVENTS = (
    EVENT_APP_HOME_OPENED,
    EVENT_REACTION_ADDED,
    EVENT_APP_UNINSTALLED,
    EVENT_TOKENS_REVOKED,
)
ACTION_NUDGE_LOG = "nudge_log"
ACTION_NUDGE_REP = "nudge_rep"
ACTION_ACCEPT_KR = "accept_kr"
ACTION_DECLINE_KR = "decline_kr"
ACTION_APPROVE_POINTS = "approve_points"
ACTION_ID_LIMIT = 255


def keyed(action: str, key: str) -> str:
    """`nudge_rep:U0REP1`: one action_id per button when a block holds several of one kind."""
    return f"{action}:{key}"[:ACTION_ID_LIMIT]


def any_keyed(action: str) -> re.Pattern[str]:
    """Matches `action` alone and every `keyed(action, ...)`."""
    return re.compile(rf"^{re.escape(action)}(:.*)?$")


ACTION_OPEN_DASHBOARD = "open_dashboard"
ACTION_SWITCH_JOB = "switch_job"
ACTION_NEW_TOKEN = "new_api_token"
ACTION_REVOKE_TOKEN = "revoke_api_token"
VIEW_NEW_TOKEN = "new_api_token_modal"
BLOCK_TOKEN_NAME, INPUT_TOKEN_NAME = "token_name", "name"
BLOCK_TOKEN_SCOPES, INPUT_TOKEN_SCOPES = "token_scopes", "scopes"


def kr_block(number: int, part: str) -> str:
    """The block id of a key-result field of the new-objective form (its field name)."""
    return kr_field(number, part)


def kr_block_parts(block_id: str) -> tuple[int, str] | None:
    """(key-result number, field) of a new-objective form block id, else None."""
    return kr_field_parts(block_id)
