"""The slash commands, each declared once: its uses and their one-line help.

`help_text` (what `/x help` answers), `usage` (what a wrong use is told) and the README's
command table are all generated from `COMMANDS`; a test checks the README against it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Use:
    """One way to use a command: how it is typed, and what it does."""

    typed: str  # `/okr team Sales East`; several forms separated by " · "
    does: str


@dataclass(frozen=True)
class Command:
    name: str
    title: str  # the heading of its help
    uses: tuple[Use, ...]
    notes: tuple[str, ...] = ()  # said after the uses in its help


LOG = Command(
    "/log",
    "How to log:",
    (
        Use(
            "/log <activity> [quantity] [note…]",
            "log an activity: `/log call`, `/log demo 2 Acme + Globex`, `/log 3 calls`. "
            "Plurals and the start of a name work too, and the reply says how it read them. "
            "Quantity is a whole number 1–1000 (default 1); the reply has an Undo button "
            "(24 hours)",
        ),
        Use("/log", "a form: activity, quantity, note"),
        Use("/log help", "this help and the activity catalog with points"),
    ),
    (
        "Some activities have a daily cap: units beyond it are recorded but earn no points. "
        "Key results earn their points when achieved (`/okr help`).",
    ),
)
POINTS = Command(
    "/points",
    "Points",
    (
        Use(
            "/points",
            "your points this week and this quarter, activity and results, and your streak",
        ),
        Use("/points @member", "someone else's"),
    ),
    (
        "Activities earn their catalog points when logged (`/log help`); key results earn "
        "theirs when achieved. The streak counts working days in a row with an activity.",
    ),
)
LEADERBOARD = Command(
    "/leaderboard",
    "Leaderboards",
    (
        Use("/leaderboard", "your team this week, with your rank even outside the top 10"),
        Use("/leaderboard today|week|month|quarter|season", "another period"),
        Use(
            "/leaderboard last week · /leaderboard last month · /leaderboard yesterday",
            "the one before",
        ),
        Use("/leaderboard week Sales East · /leaderboard all", "another team, or everyone"),
    ),
    ("*Share in channel* under a board posts it for the team.",),
)
OKR = Command(
    "/okr",
    "OKRs in okrbot",
    (
        Use(
            "/okr · /okr @member · /okr team Sales East · /okr company",
            "objectives and key results with progress, pace, confidence and last check-in",
        ),
        Use(
            "/okr K12 · /okr O3",
            "one key result (history, pace, linked activities, what is needed) or one objective",
        ),
        Use(
            "/okr new",
            "create an objective with up to 5 key results (personal: anyone; team: its "
            "managers; company: admins). A key result you give someone else counts once they "
            "accept it (their manager or an admin may assign it directly); the points of "
            "personal key results count once a manager or admin approves them in App Home",
        ),
        Use("/okr archive O3", "archive an objective (its history and points stay)"),
        Use("/okr away until YYYY-MM-DD · /okr back", "pause and resume nudges and reminders"),
        Use("/okr score K12 0.8 reason", "change a final score within 7 days of the cycle closing"),
    ),
    (
        "Check in with `/checkin` or `/checkin K12 45 7 pipeline looks good`; "
        "`/leaderboard season` is the board for the whole OKR cycle.",
    ),
)
CHECKIN = Command(
    "/checkin",
    "Checking in on key results",
    (
        Use(
            "/checkin",
            "a form with all your open key results: new value (or milestone ticks), "
            "confidence 0–10, note, blockers",
        ),
        Use(
            "/checkin K12 45 7 pipeline looks good",
            "key result, new value, confidence 0–10, note",
        ),
        Use(
            "/checkin K3 done 8 · /checkin K4 2 6",
            "a done / not done key result; 2 milestones done",
        ),
    ),
    (
        "The first check-in on a key result each week earns check-in points; reaching the "
        "target earns the key result's points once. `/okr` lists your key results and their "
        "codes.",
    ),
)
COMMANDS = (LOG, POINTS, LEADERBOARD, OKR, CHECKIN)


def _typed(use: Use, separator: str) -> str:
    return separator.join(f"`{form}`" for form in use.typed.split(" · "))


def help_lines(command: Command) -> list[str]:
    """`/x help`, line by line: the heading, each use, then the notes."""
    lines = [f"*{command.title}*"]
    lines += [f"• {_typed(use, ' · ')} — {use.does}" for use in command.uses]
    return lines + list(command.notes)


def help_text(command: Command) -> str:
    """`/x help` as one message."""
    return "\n".join(help_lines(command))


def usage(command: Command) -> str:
    """What a wrong use of the command is told to try instead."""
    forms = [f"`{form}`" for use in command.uses for form in use.typed.split(" · ")]
    return f"Try {', '.join(forms[:-1])} or {forms[-1]}."


def readme_table() -> str:
    """The README's table of commands."""
    rows = ["| Command | What it does |", "|---|---|"]
    for command in COMMANDS:
        for use in command.uses:
            typed = _typed(use, " · ").replace("|", "\\|")
            rows.append(f"| {typed} | {use.does[0].upper()}{use.does[1:]}. |")
    return "\n".join(rows)
