"""app.yaml against the app: every command and event has a listener, and vice versa."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.domain import commands
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from bot.slack_install import BOT_SCOPES, REDIRECT_PATH
from handlers import ids
from tests.conftest import Server

ROOT = Path(__file__).resolve().parents[1]
MANIFEST: dict[str, Any] = yaml.safe_load((ROOT / "app.yaml").read_text())


def manifest_commands() -> set[str]:
    return {entry["command"] for entry in MANIFEST["features"]["slash_commands"]}


def manifest_events() -> set[str]:
    return set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])


def registered(server: Server, kind: str) -> set[str]:
    """Command names or event types the Bolt app has listeners for (read from its matchers)."""
    found: set[str] = set()
    for listener in server.runtime.bolt._listeners:
        for matcher in listener.matchers:
            func = getattr(matcher, "func", None)
            if func is None or kind not in func.__qualname__:
                continue
            for cell in func.__closure__ or ():
                value = cell.cell_contents
                if isinstance(value, str):
                    found.add(value)
                elif isinstance(value, dict) and isinstance(value.get("type"), str):
                    found.add(value["type"])
    return found


def test_manifest_declares_what_the_app_needs_and_nothing_more() -> None:
    assert manifest_commands() == set(ids.COMMANDS)
    assert manifest_events() == set(ids.EVENTS)
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "chat:write.public",
        "channels:history",
        "groups:history",
        "im:history",
        "users:read",
        "users:read.email",
        "usergroups:read",
        "im:write",
        "files:write",
        "reactions:read",
    }
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["features"]["bot_user"]["display_name"] == "okrbot"
    urls = [entry["url"] for entry in MANIFEST["features"]["slash_commands"]]
    urls += [MANIFEST["settings"]["interactivity"]["request_url"]]
    urls += [MANIFEST["settings"]["event_subscriptions"]["request_url"]]
    assert all(url.endswith("/slack/events") for url in urls)


def test_every_registered_listener_is_in_the_manifest(server: Server) -> None:
    assert registered(server, "command") == manifest_commands()
    assert registered(server, "event") == manifest_events()


@pytest.mark.parametrize("command", sorted(manifest_commands()))
def test_every_manifest_command_is_answered(
    slack: SlackSender, fake_slack: FakeSlack, command: str
) -> None:
    text = "help" if command in ("/log", "/okr", "/checkin") else ""
    assert slack.command(command, text).status == 200
    fake_slack.wait_for("response_url")


def test_a_command_outside_the_manifest_is_not_handled(slack: SlackSender) -> None:
    assert slack.command("/unknown", "").status == 404


@pytest.mark.parametrize("event", sorted(manifest_events()))
def test_every_manifest_event_is_answered(slack: SlackSender, event: str) -> None:
    assert (
        slack.event(
            {"type": event, "user": "U0REP1", "tab": "messages"}, event_id=f"Ev{event}"
        ).status
        == 200
    )


LAYERS = {
    "bot/domain": {
        "forbidden": (
            "slack_bolt",
            "slack_sdk",
            "sqlalchemy",
            "storage",
            "handlers",
            "bot.services",
            "yaml",
        )
    },
    "bot/services": {"forbidden": ("slack_bolt", "slack_sdk", "handlers", "sqlalchemy")},
    "bot/playbook": {"forbidden": ("slack_bolt", "slack_sdk", "handlers", "sqlalchemy")},
    "bot/api": {"forbidden": ("slack_bolt", "slack_sdk", "handlers", "sqlalchemy", "storage")},
    "handlers": {"forbidden": ("sqlalchemy", "storage")},
    "storage": {"forbidden": ("slack_bolt", "slack_sdk", "handlers", "bot.services")},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_oauth_asks_for_the_scopes_the_manifest_declares() -> None:
    manifest = yaml.safe_load((ROOT / "app.yaml").read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert any(url.endswith(REDIRECT_PATH) for url in manifest["oauth_config"]["redirect_urls"])


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layers_import_only_what_they_may(layer: str) -> None:
    forbidden = LAYERS[layer]["forbidden"]
    offenders = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / layer).rglob("*.py")
        for name in imports_of(path)
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    }
    assert offenders == set()


# The composition root, the command line (cli_serve serves), the outbox and the web entry (which
# verifies Slack's signature first) talk to Slack; the sandbox is a Slack of its own. Every
# other module of bot/ stays free of Slack's libraries.
SLACK_EDGE = {
    "app.py",
    "web.py",
    "cli.py",
    "cli_serve.py",
    "slack_edge.py",
    "slack_install.py",
    "slack_outbox.py",
    "slack_directory.py",
}


def test_only_the_slack_edge_of_bot_imports_slack() -> None:
    offenders = {
        f"bot/{path.name} imports {name}"
        for path in (ROOT / "bot").glob("*.py")
        if path.name not in SLACK_EDGE
        for name in imports_of(path)
        if name.split(".")[0] in ("slack_bolt", "slack_sdk")
    }
    assert offenders == set()


def test_only_the_composition_roots_of_bot_import_handlers() -> None:
    """The app and the sandbox wire handlers in; everything else (the outbox included, whose
    renderer is given to it) never imports them."""
    offenders = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / "bot").rglob("*.py")
        if path.relative_to(ROOT).as_posix() not in ("bot/app.py", "bot/sandbox/server.py")
        for name in imports_of(path)
        if name.split(".")[0] == "handlers"
    }
    assert offenders == set()


def test_services_depend_on_storage_through_protocols() -> None:
    """Services name the unit of work and repositories by the protocols in bot/services/ports:
    at run time they import nothing from storage but its row types, and the ports import
    storage only for type checking."""
    offenders = set()
    for path in (ROOT / "bot" / "services").rglob("*.py"):
        tree = ast.parse(path.read_text())
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(
                "storage"
            ):
                continue
            if node.module == "storage.models" or id(node) in typing_only:
                continue
            offenders.add(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}")
    assert offenders == set()


def test_services_reach_the_database_only_through_repositories() -> None:
    """No service touches a SQLAlchemy session: units of work and repositories speak for it."""
    offenders = {
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in (ROOT / "bot" / "services").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "session"
    }
    assert offenders == set()


def test_the_readme_command_table_is_the_command_table() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- commands:")
    block = readme[readme.index("\n", start) + 1 : readme.index("<!-- /commands -->")]
    assert block.strip() == commands.readme_table()
    assert sorted(c.name for c in commands.COMMANDS) == sorted(ids.COMMANDS)


@pytest.mark.parametrize("command", commands.COMMANDS, ids=lambda c: c.name)
def test_help_after_a_command_is_its_entry_in_the_table(
    command: commands.Command, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    answer = slack.command(command.name, "help").json()
    shown = answer["text"] + "\n" + json.dumps(answer.get("blocks", []), ensure_ascii=False)
    for line in commands.help_lines(command):
        assert line in shown or json.dumps(line, ensure_ascii=False)[1:-1] in shown


def test_the_readme_and_docs_link_only_to_files_that_exist() -> None:
    import re

    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to {target}"


def test_the_readme_starts_with_the_sandbox_then_a_workspace_then_deploying() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    order = [
        readme.index("## Try it in two minutes, without Slack"),
        readme.index("## Set it up for your workspace"),
        readme.index("## Deploy it"),
    ]
    assert order == sorted(order)
    assert order[0] < 1500  # on the first screen
    assert "PORT=3001 make run" in readme


PRODUCTION = ("bot", "handlers", "storage")
MOST_POSITIONAL = 4  # beyond this, arguments are named: same-typed swaps pass the type checker


def test_no_function_takes_more_than_four_positional_arguments() -> None:
    offenders = []
    for package in PRODUCTION:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
                    if names[:1] in (["self"], ["cls"]):
                        names = names[1:]
                    if len(names) > MOST_POSITIONAL and not _bolt_listener(package, names):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
                if isinstance(node, ast.ClassDef) and _positional_dataclass(node):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert offenders == []


# Bolt hands a listener the arguments it names (and only positional-or-keyword ones): no
# code of okrbot's calls a listener, so its arguments cannot be swapped.
BOLT_ARGUMENTS = {
    "ack",
    "body",
    "command",
    "action",
    "view",
    "client",
    "context",
    "respond",
    "event",
}


def _bolt_listener(package: str, names: list[str]) -> bool:
    return package == "handlers" and names[0] == "services" and set(names[1:]) <= BOLT_ARGUMENTS


def _positional_dataclass(node: ast.ClassDef) -> bool:
    """A dataclass of more than MOST_POSITIONAL fields that can be built positionally."""
    decorators = [ast.unparse(d) for d in node.decorator_list]
    if not any(d.startswith("dataclass") for d in decorators):
        return False
    if any("kw_only=True" in d for d in decorators):
        return False
    fields = [
        s for s in node.body if isinstance(s, ast.AnnAssign) and "ClassVar" not in ast.unparse(s)
    ]
    return len(fields) > MOST_POSITIONAL


def test_no_class_is_assembled_from_mixins_in_other_modules() -> None:
    """A class inherits from a class of okrbot's in another module only to be an error of its
    kind, a port (Protocol) or a request body (pydantic): a use case, a repository or a
    screen is one class in one module."""
    classes: dict[str, tuple[str, list[str]]] = {}
    for package in PRODUCTION:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.ClassDef):
                    bases = [ast.unparse(base) for base in node.bases]
                    classes[node.name] = (str(path.relative_to(ROOT)), bases)

    def kind_of(name: str, kinds: tuple[str, ...]) -> bool:
        if name in kinds:
            return True
        return name in classes and any(kind_of(base, kinds) for base in classes[name][1])

    allowed = ("Exception", "ValueError", "Protocol", "BaseModel")
    offenders = [
        f"{module} {name}({', '.join(bases)})"
        for name, (module, bases) in classes.items()
        for base in bases
        if base in classes and classes[base][0] != module and not kind_of(base, allowed)
    ]
    assert offenders == []
