"""`okrbot import-okrs`: objectives and key results from a Viva Goals export (CSV or XLSX)."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from bot.cli_common import Cli, CommandError
from bot.domain.errors import UserError


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    importer = commands.add_parser(
        "import-okrs", help="objectives and key results from Viva Goals (CSV or XLSX) or a CSV"
    )
    importer.add_argument("file", type=Path, help="the export, e.g. viva-goals.xlsx")
    importer.add_argument(
        "--from", dest="source", choices=["viva-goals", "csv"], default="viva-goals"
    )
    importer.add_argument("--workspace", help="the Slack team id (optional with one workspace)")
    importer.add_argument(
        "--dry-run", action="store_true", help="show what would be created and every row it skips"
    )


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV or XLSX file, keyed by header name in lower case (any order, any
    extra columns)."""
    if not path.exists():
        raise CommandError(f"{path}: no such file.")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        cells = [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
    else:
        with path.open(newline="", encoding="utf-8-sig") as file:
            cells = list(csv.reader(file))
    if not cells:
        raise CommandError(f"{path}: the file is empty.")
    headers = [header.strip().casefold() for header in cells[0]]
    return [
        dict(zip(headers, (c.strip() for c in row), strict=False)) for row in cells[1:] if any(row)
    ]


def run(cli: Cli, args: argparse.Namespace) -> None:
    rows = read_rows(args.file)
    workspace = cli.workspace(args.workspace, "import-okrs FILE --workspace {workspace}")
    slack = cli.settings.slack_bot_token or cli.settings.oauth  # owners by email need Slack
    edge = cli.slack() if slack else None
    importer = cli.services(edge).okr_import
    print(f"Reading {len(rows)} row(s) from {args.file}…", file=sys.stderr, flush=True)
    try:
        plan = importer.plan(workspace, rows)
    except UserError as error:
        raise CommandError(error.message) from error
    for number, problem in plan.problems:
        print(f"{args.file}: row {number}: {problem}", file=sys.stderr)
    if args.dry_run:
        print("\n".join(plan.lines()) or "Nothing to import.")
        print(f"Dry run: nothing was stored ({len(plan.problems)} row(s) could not be mapped).")
        return
    report = importer.apply(plan)
    print("\n".join([*report.lines(), *plan.kept]))
