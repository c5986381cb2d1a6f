"""`make screenshots`: pictures of the sandbox for the README (a /log reply, App Home, a
manager's digest), taken in Debian's Chromium from a fresh demo workspace."""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bot.sandbox.background import serve_in_background
from bot.sandbox.demo import load_demo
from bot.sandbox.page_app import make_app
from bot.sandbox.server import build_sandbox

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


class FixedClock:
    """Wednesday 18 November 2026, 10:00 in New York: every run pictures the same week."""

    def now(self) -> datetime:
        return datetime(2026, 11, 18, 15, tzinfo=UTC)


def main() -> None:
    """Take the three screenshots into docs/screenshots/."""
    from playwright.sync_api import expect, sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("make screenshots needs Debian's chromium: apt-get install chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        sandbox = build_sandbox(f"sqlite:///{folder}/sandbox.db", FixedClock())
        print("loading the demo workspace...", file=sys.stderr, flush=True)
        load_demo(sandbox.runtime.engine, FixedClock())
        served = serve_in_background(make_app(sandbox))
        sandbox.base_url = served.url
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 760})
            page.goto(sandbox.base_url + "/")
            page.locator("#channels a", has_text="sales-east").click()
            page.locator("#text").fill("/log call 12 outbound to retail")
            page.locator("#text").press("Enter")
            expect(page.locator("#messages")).to_contain_text("Logged 12 × Call")
            page.screenshot(path=str(OUT / "log-reply.png"))
            page.locator("#person").select_option(label="Maya Chen (manager)")
            page.locator("#home-link").click()
            expect(page.locator("#home")).to_contain_text("Team Sales East")
            page.screenshot(path=str(OUT / "app-home.png"))
            page.locator("#job").select_option("manager-digest")
            page.locator("#run").click()
            expect(page.locator("#notice")).to_contain_text("3 sent.")
            page.locator("#dm-link").click()
            expect(page.locator("#messages img.image")).to_have_count(1)
            page.locator("#messages img.image").scroll_into_view_if_needed()
            page.screenshot(path=str(OUT / "manager-digest.png"), full_page=False)
            browser.close()
        served.stop()
        sandbox.slack.stop()
    for name in ("log-reply", "app-home", "manager-digest"):
        print(f"wrote {OUT / name}.png")


if __name__ == "__main__":
    main()
