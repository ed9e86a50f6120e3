"""The embedded default: conversations are kept in the SQLite tracker store, so a student's
walkthrough goes on where it was after the bot was restarted (`make run` stopped and started)."""

import pytest

from harness.bot import answer_text, new_sender, running_bot

pytestmark = pytest.mark.e2e


def test_a_walkthrough_goes_on_after_a_restart(trained_model, tmp_path):
    sender = new_sender()
    with running_bot(trained_model, tmp_path, log_prefix="restart-1-") as bot:
        assert "第1/5步" in answer_text(bot.webhook, sender, "一步一步教我退出智慧职教APP")
        assert "第2/5步" in answer_text(bot.webhook, sender, "下一步")
    with running_bot(trained_model, tmp_path, log_prefix="restart-2-") as bot:
        assert "第3/5步" in answer_text(bot.webhook, sender, "下一步")
