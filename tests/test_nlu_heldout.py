"""Intent accuracy on the held-out set (tests/nlu/: questions and walkthrough commands), written apart
from the training data.

Every mistake is listed in tests/artifacts/nlu_heldout.md and in the failure message.
"""

import asyncio
from collections import Counter
from pathlib import Path

import pytest

# One definition of "right" (out_of_scope and nlu_fallback are both an honest refusal) for the
# test and the benchmark.
from bench.understanding import HELDOUT, as_refusal, score

pytestmark = pytest.mark.e2e

REPORT = Path(__file__).parent / "artifacts" / "nlu_heldout.md"
TARGET_ACCURACY = 0.95


@pytest.fixture(scope="module")
def predictions(trained_model):
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(str(trained_model))
    examples = [(m.get("text"), m.get("intent")) for m in load_data(str(HELDOUT)).intent_examples]

    async def parse_all():
        return [await agent.parse_message(text) for text, _ in examples]

    parsed = asyncio.run(parse_all())
    return [
        (text, expected, p["intent"]["name"], p["intent"]["confidence"])
        for (text, expected), p in zip(examples, parsed, strict=True)
    ]


def write_report(predictions, accuracy, mistakes) -> None:
    per_intent = Counter(expected for _, expected, _, _ in predictions)
    wrong_per_intent = Counter(expected for _, expected, _, _ in mistakes)
    scores = score("this bot", [e for _, e, _, _ in predictions], [p for _, _, p, _ in predictions])
    precision, recall = scores.oos_precision, scores.oos_recall
    lines = [
        "# Held-out NLU evaluation",
        "",
        f"{len(predictions)} examples, intent accuracy **{accuracy:.1%}** "
        f"({len(predictions) - len(mistakes)} correct, {len(mistakes)} wrong).",
        f"Out of scope (out_of_scope or nlu_fallback): precision {precision:.1%}, recall {recall:.1%}.",
        "",
        "| intent | examples | wrong |",
        "|---|---|---|",
        *[f"| {i} | {n} | {wrong_per_intent[i]} |" for i, n in sorted(per_intent.items())],
        "",
        "## Mistakes",
        "",
        "| text | expected | predicted | confidence |",
        "|---|---|---|---|",
        *[f"| {t} | {e} | {p} | {c:.2f} |" for t, e, p, c in mistakes],
    ]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_heldout_intent_accuracy(predictions):
    mistakes = [row for row in predictions if as_refusal(row[2]) != row[1]]
    accuracy = 1 - len(mistakes) / len(predictions)
    write_report(predictions, accuracy, mistakes)
    listing = "\n".join(f"{t!r}: expected {e}, got {p} ({c:.2f})" for t, e, p, c in mistakes)
    assert accuracy >= TARGET_ACCURACY, f"accuracy {accuracy:.1%}; mistakes:\n{listing}"


def test_heldout_set_covers_every_intent(predictions, domain):
    covered = {expected for _, expected, _, _ in predictions}
    assert covered == set(domain["intents"])
