"""The "What is stored where" table of docs/privacy.md (issue 16; it was in the README until issue 17)
stays true: each of its facts is read from the code or configuration that decides it."""

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent


def table() -> str:
    page = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
    start = page.index("## What is stored where")
    return page[start : page.index("\n## ", start)]


def test_retention_matches_endpoints_and_the_store():
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    days = endpoints["tracker_store"]["retention_days"]
    assert f"{days} days" in table()
    assert endpoints["tracker_store"]["db"] in table()
    store = (ROOT / "stores" / "redacting.py").read_text(encoding="utf-8")
    assert 'RETENTION_ENV = "TRACKER_RETENTION_DAYS"' in store and "TRACKER_RETENTION_DAYS" in table()


def test_session_expiry_matches_the_domain():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert f"{domain['session_config']['session_expiration_time']} idle minutes" in table()


def test_sender_prefixes_and_session_key_match_the_channels():
    senders = (ROOT / "channels" / "senders.py").read_text(encoding="utf-8")
    for prefix in re.findall(r'_PREFIX = "([a-z]+:)"', senders):
        assert f"`{prefix}" in table(), prefix
    socketio = (ROOT / "channels" / "socketio.py").read_text(encoding="utf-8")
    assert 'Path("var") / "widget-session.key"' in socketio and "var/widget-session.key" in table()
    assert 'SESSION_SECRET_ENV = "HELPDESK_SESSION_SECRET"' in socketio


def test_rehearsal_database_matches_its_module():
    module = (ROOT / "staff" / "rehearsal_db.py").read_text(encoding="utf-8")
    assert '"var" / "rehearsal.db"' in module and "REHEARSAL_DB" in module
    assert "`var/rehearsal.db` (`REHEARSAL_DB`)" in table()


def test_browser_storage_matches_the_widget():
    widget = (ROOT / "web" / "src" / "widget.js").read_text(encoding="utf-8")
    assert "storageArea('sessionStorage')" in widget and "historyMinutes" in widget
    assert "data.sharedDevice" in widget or "sharedDevice" in widget
    for words in ("`sessionStorage` by default", "data-history-minutes", "data-shared-device", "清除对话"):
        assert words in table(), words


def test_the_erase_command_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^forget:", makefile, flags=re.M) and "make forget SENDER=" in table()
