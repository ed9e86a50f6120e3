"""The server's performance fix must not change what Rasa accepts or rejects from the action server."""

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from server import apply_fixes

pytestmark = pytest.mark.unit

VALID = {
    "events": [{"event": "slot", "name": "platform", "value": "icve"}],
    "responses": [{"text": "你好", "buttons": [{"title": "学信网", "payload": "/chsi_account_share"}]}],
}
INVALID = {"events": [{"name": "platform"}], "responses": "not a list"}


@pytest.fixture(scope="module")
def action():
    apply_fixes()
    return RemoteAction("action_answer", action_endpoint=None)


def test_valid_action_response_is_accepted(action):
    assert action._validate_action_result(VALID) is True


def test_invalid_action_response_raises_rasas_own_error(action):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(INVALID)


def test_fixes_are_applied_once(action):
    apply_fixes()
    assert RemoteAction._rasa_validate_action_result is not RemoteAction._validate_action_result
