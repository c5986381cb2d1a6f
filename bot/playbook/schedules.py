"""Playbook sections for scheduled messages and holidays."""

from __future__ import annotations

from datetime import date

import yaml

from bot.domain.schedule import WEEKDAYS, Job
from bot.playbook.reader import (
    CLOCK_TIME,
    SCHEDULE_FIELDS,
    TEAM_SCHEDULE_FIELDS,
    Reader,
)


def holidays(reader: Reader, node: yaml.Node) -> tuple[date, ...]:
    days = [
        reader.day(item, f"holidays[{i}]")
        for i, item in enumerate(reader.sequence(node, "holidays"))
    ]
    return tuple(day for day in days if day is not None)


def _one_schedule(
    reader: Reader, node: yaml.Node, path: str, allowed: set[str]
) -> dict[str, object]:
    fields = reader.mapping(node, path, allowed)
    result: dict[str, object] = {}
    if "at" in fields:
        at = reader.text(
            fields["at"], f"{path}.at", CLOCK_TIME, ' (a 24-hour time in quotes, such as "16:00")'
        )
        if at is not None:
            result["at"] = at
    if "days" in fields:
        days = []
        for index, item in enumerate(reader.sequence(fields["days"], f"{path}.days")):
            day = reader.choice(item, f"{path}.days[{index}]", list(WEEKDAYS))
            if day is not None:
                days.append(day)
        result["days"] = days
    if "enabled" in fields:
        flag = fields["enabled"]
        if isinstance(flag, yaml.ScalarNode) and flag.tag.endswith(":bool"):
            result["enabled"] = yaml.safe_load(flag.value)
        else:
            reader.problem(flag, f"{path}.enabled", "must be true or false")
    return result


def schedules(reader: Reader, node: yaml.Node) -> dict[str, dict[str, object]]:
    jobs = [job.value for job in Job]
    result: dict[str, dict[str, object]] = {}
    for job, job_node in reader.mapping(node, "schedules", set(jobs)).items():
        settings = _one_schedule(reader, job_node, f"schedules.{job}", SCHEDULE_FIELDS)
        job_fields = reader.mapping(job_node, f"schedules.{job}", SCHEDULE_FIELDS)
        if "teams" in job_fields:
            teams = {}
            for team, team_node in _any_mapping(
                reader, job_fields["teams"], f"schedules.{job}.teams"
            ).items():
                teams[team] = _one_schedule(
                    reader, team_node, f"schedules.{job}.teams.{team}", TEAM_SCHEDULE_FIELDS
                )
            settings["teams"] = teams
        result[job] = settings
    return result


def _any_mapping(reader: Reader, node: yaml.Node, path: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        reader.problem(node, path, "expected a mapping of team name to settings")
        return {}
    return {str(key.value): value for key, value in node.value}
