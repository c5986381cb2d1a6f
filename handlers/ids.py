"""Every Slack identifier okrbot uses, in one place. The manifest test reads this module."""

COMMAND_LOG = "/log"
COMMAND_POINTS = "/points"
COMMAND_LEADERBOARD = "/leaderboard"
COMMANDS = (COMMAND_LOG, COMMAND_POINTS, COMMAND_LEADERBOARD)

EVENT_APP_HOME_OPENED = "app_home_opened"
EVENTS = (EVENT_APP_HOME_OPENED,)

ACTION_UNDO = "log_undo"
ACTION_SHARE_BOARD = "leaderboard_share"
ACTION_OPEN_LOG_MODAL = "open_log_modal"

VIEW_LOG = "log_modal"
BLOCK_ACTIVITY = "activity"
BLOCK_QUANTITY = "quantity"
BLOCK_NOTE = "note"
INPUT_ACTIVITY = "activity_input"
INPUT_QUANTITY = "quantity_input"
INPUT_NOTE = "note_input"
