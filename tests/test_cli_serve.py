"""Starting okrbot where something is in the way: one line says what and how to fix it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another program is listening on."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        yield taken.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def test_the_sandbox_on_a_busy_port_says_so_in_one_line_and_loads_nothing(
    busy_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PORT", str(busy_port))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"port {busy_port} on 127.0.0.1 is already in use" in err
    assert f"PORT={busy_port + 1} make run" in err
    assert "Traceback" not in err
    assert not (tmp_path / "okrbot-sandbox.db").exists()


def test_serve_on_a_busy_port_says_so_in_one_line(
    busy_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", str(busy_port))
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{closed_port()}/api/")
    assert main(["serve", "--no-scheduler"]) == 2
    err = capsys.readouterr().err
    assert f"port {busy_port} on 127.0.0.1 is already in use" in err
    assert "Traceback" not in err


def test_serve_with_slack_unreachable_says_what_it_could_not_reach(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable = f"http://127.0.0.1:{closed_port()}/api/"
    monkeypatch.setenv("PORT", str(closed_port()))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_API_URL", unreachable)
    assert main(["serve", "--no-scheduler"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"okrbot: cannot reach Slack at {unreachable} (")
    assert "check this machine's network" in err
    assert "Traceback" not in err
