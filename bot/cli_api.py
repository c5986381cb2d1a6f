"""`okrbot api-token`: create, list and revoke a workspace's API tokens."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from bot.cli_common import Cli, CommandError
from bot.domain.errors import UserError
from bot.services.integrations.api import SCOPES
from bot.services.integrations.csv_export import COLUMNS, spreadsheet_safe
from bot.services.integrations.webhooks import EVENTS


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tokens = commands.add_parser("api-token", help="tokens for the REST API at /api/v1")
    tasks = tokens.add_subparsers(dest="token_command", required=True, metavar="TASK")
    create = tasks.add_parser("create", help="create a token; its secret is printed once")
    create.add_argument("workspace", help="the Slack team id, e.g. T0123ABCD")
    create.add_argument("--name", required=True, help="what it is for, e.g. hubspot")
    create.add_argument(
        "--scopes", required=True, help=f"comma separated, some of {','.join(SCOPES)}"
    )
    lister = tasks.add_parser("list", help="the workspace's tokens, without their secrets")
    lister.add_argument("workspace", help="the Slack team id")
    revoke = tasks.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("workspace", help="the Slack team id")
    revoke.add_argument("token_id", type=int, help="the id `api-token list` shows")


def add_webhook_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hooks = commands.add_parser("webhook", help="URLs that receive a workspace's events")
    tasks = hooks.add_subparsers(dest="webhook_command", required=True, metavar="TASK")
    add = tasks.add_parser("add", help="subscribe a URL; its signing secret is printed once")
    add.add_argument("workspace", help="the Slack team id")
    add.add_argument("url", help="where to POST, e.g. https://bi.example.com/okrbot")
    add.add_argument("--events", required=True, help=f"comma separated, some of {','.join(EVENTS)}")
    lister = tasks.add_parser("list", help="the workspace's subscriptions")
    lister.add_argument("workspace", help="the Slack team id")
    remove = tasks.add_parser("remove", help="stop sending to a subscription")
    remove.add_argument("workspace", help="the Slack team id")
    remove.add_argument("subscription_id", type=int, help="the id `webhook list` shows")


def run_webhooks(cli: Cli, args: argparse.Namespace) -> None:
    from bot.webhook_transport import WebhookPoster

    poster = WebhookPoster(allow_private=cli.settings.webhooks_allow_private)
    webhooks = cli.services(webhooks=poster).webhooks
    try:
        if args.webhook_command == "add":
            events = [event.strip() for event in args.events.split(",") if event.strip()]
            subscription_id, secret = webhooks.subscribe(args.workspace, args.url, events)
            print(f"Webhook {subscription_id} to {args.url} for {', '.join(events)}.")
            print(f"Signing secret (Standard Webhooks), shown this once: {secret}")
        elif args.webhook_command == "list":
            for sub in webhooks.subscriptions(args.workspace):
                state = "removed" if sub.revoked else "live"
                print(f"{sub.id:>4}  {sub.url}  {','.join(sub.events)}  {state}")
        else:
            webhooks.unsubscribe(args.workspace, args.subscription_id)
            print(f"Webhook {args.subscription_id} of {args.workspace} is removed.")
    except UserError as error:
        raise CommandError(error.message) from error


def run(cli: Cli, args: argparse.Namespace) -> None:
    api = cli.services().api
    try:
        if args.token_command == "create":
            scopes = [scope.strip() for scope in args.scopes.split(",") if scope.strip()]
            token_id, secret = api.create_token(args.workspace, args.name, scopes)
            print(
                f"Token {token_id} ({args.name}) for {args.workspace}, scopes {', '.join(scopes)}:"
            )
            print(secret)
            print("This is the only time it is shown: keep it in your secret store now.")
        elif args.token_command == "list":
            for token in api.tokens(args.workspace):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
                print(
                    f"{token.id:>4}  {token.name:<20} {token.hint}…  {','.join(token.scopes)}  {state}"
                )
        else:
            api.revoke_token(args.workspace, args.token_id)
            print(f"Token {args.token_id} of {args.workspace} is revoked.")
    except UserError as error:
        raise CommandError(error.message) from error


def export_csv(cli: Cli, workspace: str | None, directory: Path) -> None:
    """Write the workspace's tables as CSV files in `directory`, with progress on stderr."""

    workspace = cli.workspace(workspace, "export {workspace} --csv DIR")
    try:
        tables = cli.services().exports.tables(workspace)
    except UserError as error:
        raise CommandError(error.message) from error
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        path = directory / f"{name}.csv"
        count = 0
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(COLUMNS[name])
            for row in rows:
                writer.writerow(spreadsheet_safe(row))
                count += 1
                if count % 10_000 == 0:
                    print(f"{name}: {count:,} rows…", file=sys.stderr, flush=True)
        print(f"Wrote {count:,} rows to {path}.", file=sys.stderr)


def add_hook_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hooks = commands.add_parser("hooks", help="CRM webhook payloads held because they failed")
    tasks = hooks.add_subparsers(dest="hooks_command", required=True, metavar="TASK")
    held = tasks.add_parser("held", help="payloads waiting for a retry, with the reason")
    held.add_argument("workspace", help="the Slack team id")
    retry = tasks.add_parser("retry", help="log held payloads again, once the cause is fixed")
    retry.add_argument("workspace", help="the Slack team id")
    retry.add_argument("ids", type=int, nargs="*", help="only these (default: every one held)")


def run_hooks(cli: Cli, args: argparse.Namespace) -> None:
    slack = cli.settings.slack_bot_token or cli.settings.oauth  # owners by email need Slack
    hooks = cli.services(cli.slack() if slack else None).hooks
    if args.hooks_command == "held":
        waiting = hooks.held(args.workspace)
        for h in waiting:
            print(f"#{h.id:<5} {h.source:<12} {h.received_at:%Y-%m-%d %H:%M}  {h.problem}")
        print(f"{len(waiting)} payload(s) held in {args.workspace}.")
        return
    outcomes = hooks.retry(args.workspace, args.ids or None)
    for done in outcomes:
        print(
            f"#{done.id}: "
            + (
                f"still held: {done.problem}"
                if done.problem
                else f"logged {done.logged} activity(ies)"
            )
        )
    still = sum(1 for done in outcomes if done.problem)
    print(f"{len(outcomes) - still} logged, {still} still held.")
    if still:
        raise CommandError("Some payloads are still held; `okrbot hooks held` says why.")
