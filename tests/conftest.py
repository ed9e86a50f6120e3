"""Shared fixtures: the knowledge, the domain, Rasa SDK trackers and dispatchers, and the trained model."""

import os
import secrets
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from harness.bot import running_bot
from knowledge.loader import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
# No usage or crash reports to Rasa's servers from the tests' own Rasa imports either.
os.environ["RASA_TELEMETRY_ENABLED"] = "false"
MODEL = ROOT / "models" / "helpdesk.tar.gz"
# The shared bot's staff token (HELPDESK_STAFF_TOKEN): staff tools over socket.io need it.
STAFF_TOKEN = secrets.token_urlsafe(24)


TIERS = ("unit", "e2e")
# Fixtures that start servers or a browser or load the trained model: a test using one is end-to-end.
E2E_FIXTURES = {"trained_model", "bot", "webhook", "cluster", "browser"}


def pytest_collection_modifyitems(config, items):
    """Every test is in exactly one tier, so `make check` (unit) never silently skips a new test and
    never starts a server."""
    wrong = []
    for item in items:
        tiers = sorted({mark.name for mark in item.iter_markers() if mark.name in TIERS})
        if len(tiers) != 1:
            wrong.append(f"{item.nodeid}: marked {' and '.join(tiers) or 'with neither'}")
        elif tiers == ["unit"] and E2E_FIXTURES & set(item.fixturenames):
            used = ", ".join(sorted(E2E_FIXTURES & set(item.fixturenames)))
            wrong.append(f"{item.nodeid}: marked unit but uses {used}")
    if wrong:
        raise pytest.UsageError(
            "each test needs exactly one tier: `pytestmark = pytest.mark.unit` (no servers, browser, "
            "database, trained model or root) or `pytest.mark.e2e` at the top of its module, or the "
            "mark on the test itself in a module with both kinds:\n  " + "\n  ".join(wrong)
        )


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge()


@pytest.fixture(scope="session")
def console_texts(knowledge):
    """The staff console's texts (data/knowledge/presentation.yml console:)."""
    return knowledge.presentation["console"]


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(
    intent: str,
    entities: Iterable[Dict[str, str]] = (),
    slots: Optional[Dict[str, Any]] = None,
    text: str = "",
) -> Tracker:
    """A tracker whose latest message has `intent` and `entities` ({"entity":…, "value":…})."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": [dict(e) for e in entities],
    }
    return Tracker(
        sender_id="test-user",
        slots={
            "platform": None,
            "pending_goal": None,
            "last_goal": None,
            "walkthrough": None,
            **(slots or {}),
        },
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make test`, which trains it first")
    return MODEL


@pytest.fixture
def tracker_for():
    return make_tracker


@pytest.fixture(scope="session")
def rehearsal_db(tmp_path_factory) -> Path:
    """Where the shared bot's action server keeps training rehearsal results (not var/)."""
    return tmp_path_factory.mktemp("rehearsal") / "rehearsal.db"


@pytest.fixture(scope="session")
def staff_token() -> str:
    return STAFF_TOKEN


@pytest.fixture(scope="session")
def bot(trained_model, tmp_path_factory, rehearsal_db, staff_token):
    """A real Rasa server with its action server, shared by the end-to-end tests."""
    env = {"REHEARSAL_DB": str(rehearsal_db), "HELPDESK_STAFF_TOKEN": staff_token}
    with running_bot(trained_model, tmp_path_factory.mktemp("bot"), env=env) as running:
        yield running


@pytest.fixture(scope="session")
def webhook(bot):
    """The REST webhook of the shared bot."""
    return bot.webhook


@pytest.fixture(scope="module")
def wechat_api():
    """A stand-in of WeChat's API (tests/test_wechat.py), one per test module that asks."""
    from tests.test_wechat import WeChatApi

    api = WeChatApi()
    yield api
    api.server.shutdown()
