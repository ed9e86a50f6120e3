"""Debian's headless Chromium driven by Playwright, for the tests that look at a page as a person
would (the chat widget, the staff pages, the content owner's report). Playwright's own browser
download is not used: it cannot be fetched here."""

import shutil
from contextlib import contextmanager
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from harness.bot import ARTIFACTS

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


@contextmanager
def system_chromium() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium (make browser)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def screenshot(page: Page, name: str) -> None:
    """The whole page as tests/artifacts/<name>.png, for a person to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
