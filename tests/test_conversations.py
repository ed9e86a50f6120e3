"""Conversation tests (tests/conversations/): `rasa test` with --fail-on-prediction-errors."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "artifacts" / "conversations"


def test_conversation_stories_predict_every_intent_and_action(trained_model):
    rasa = str(Path(sys.executable).parent / "rasa")
    result = subprocess.run(
        [
            rasa,
            "test",
            "core",
            "--model",
            str(trained_model),
            "--stories",
            str(ROOT / "tests" / "conversations"),
            "--fail-on-prediction-errors",
            "--out",
            str(OUT),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    failed = OUT / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-4000:]
    assert result.returncode == 0, details
