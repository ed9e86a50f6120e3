"""Understanding: intent accuracy, macro F1, out-of-scope precision/recall and right-answer share,
for this bot and for two baselines, on the held-out set; and k-fold cross-validation on the training data.
"""

import asyncio
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "tests" / "nlu"  # heldout.yml (questions) + heldout_walkthrough.yml
TRAINING = ROOT / "data" / "nlu"
OUT_OF_SCOPE = "out_of_scope"
# Both mean "this bot will not answer it": the honest outcome for an out-of-scope question.
REFUSING_INTENTS = {OUT_OF_SCOPE, "nlu_fallback"}
REFUSAL = "<refusal>"
# Below this cosine similarity the TF-IDF baseline says "out of scope".
TFIDF_MIN_SIMILARITY = 0.25


@dataclass
class Scores:
    name: str
    accuracy: float
    macro_f1: float
    oos_precision: float
    oos_recall: float
    answer_share: float = float("nan")
    predictions: List[str] = field(default_factory=list, repr=False)

    @property
    def oos_f1(self) -> float:
        p, r = self.oos_precision, self.oos_recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_examples(path: Path):
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(path))


def as_refusal(intent: str) -> str:
    return OUT_OF_SCOPE if intent in REFUSING_INTENTS else intent


def score(name: str, gold: Sequence[str], predicted: Sequence[str]) -> Scores:
    pred = [as_refusal(p) for p in predicted]
    correct = sum(g == p for g, p in zip(gold, pred, strict=True))
    flagged = [g for g, p in zip(gold, pred, strict=True) if p == OUT_OF_SCOPE]
    actual = [p for g, p in zip(gold, pred, strict=True) if g == OUT_OF_SCOPE]
    return Scores(
        name=name,
        accuracy=correct / len(gold),
        macro_f1=f1_score(gold, pred, labels=sorted(set(gold)), average="macro", zero_division=0),
        oos_precision=flagged.count(OUT_OF_SCOPE) / max(len(flagged), 1),
        oos_recall=actual.count(OUT_OF_SCOPE) / max(len(actual), 1),
        predictions=list(predicted),
    )


def parse_with_model(model: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all():
        return [await agent.parse_message(t) for t in texts]

    return asyncio.run(parse_all())


def tfidf_predict(train_texts, train_intents, test_texts) -> List[str]:
    """Nearest training question by TF-IDF over character 1-3-grams."""
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
    train = vectorizer.fit_transform(train_texts)
    similarity = vectorizer.transform(test_texts) @ train.T
    predictions = []
    for row in similarity.toarray():
        best = row.argmax()
        predictions.append(train_intents[best] if row[best] >= TFIDF_MIN_SIMILARITY else OUT_OF_SCOPE)
    return predictions


def train_nlu(config: Path, nlu: Path, out_dir: Path, name: str) -> Path:
    subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(nlu),
            "--out",
            str(out_dir),
            "--fixed-model-name",
            name,
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return out_dir / f"{name}.tar.gz"


def cross_validate(folds: int) -> Tuple[float, float]:
    """Mean intent accuracy and macro F1 of this bot's pipeline over `folds` stratified folds."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_examples(TRAINING)
    examples = data.intent_examples
    intents = [m.get("intent") for m in examples]
    accuracies, f1s = [], []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=42)
    with tempfile.TemporaryDirectory() as tmp:
        for k, (train_idx, test_idx) in enumerate(splitter.split(examples, intents)):
            fold = TrainingData(
                training_examples=[examples[i] for i in train_idx],
                entity_synonyms=data.entity_synonyms,
                lookup_tables=data.lookup_tables,
            )
            fold_file = Path(tmp) / f"fold{k}.yml"
            fold_file.write_text(RasaYAMLWriter().dumps(fold), encoding="utf-8")
            model = train_nlu(ROOT / "config.yml", fold_file, Path(tmp), f"fold{k}")
            parses = parse_with_model(model, [examples[i].get("text") for i in test_idx])
            fold_scores = score(
                f"fold{k}", [intents[i] for i in test_idx], [p["intent"]["name"] for p in parses]
            )
            accuracies.append(fold_scores.accuracy)
            f1s.append(fold_scores.macro_f1)
    return sum(accuracies) / folds, sum(f1s) / folds


class AnswerOracle:
    """What the bot would say for an intent and entities: the identity of its reply.

    Replies are compared, not intents: two intents routed to the same answer are both right, and
    any refusal (out of scope, not understood, "ask that platform's support") counts as one.
    """

    def __init__(self) -> None:
        from knowledge.loader import load_knowledge

        self.knowledge = load_knowledge()
        self.domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
        self.rule_actions: Dict[str, str] = {}
        for rules_file in (ROOT / "data" / "rules").glob("*.yml"):
            for rule in yaml.safe_load(rules_file.read_text(encoding="utf-8"))["rules"]:
                steps = rule["steps"]
                if "intent" in steps[0]:  # not the rehearsal form's ending (a form step first)
                    self.rule_actions[steps[0]["intent"]] = steps[1]["action"]

    def reply(self, intent: str, entities: List[Dict[str, Any]]) -> str:
        from rasa_sdk import Tracker
        from rasa_sdk.executor import CollectingDispatcher

        from actions.answer import ActionAnswer

        if intent in REFUSING_INTENTS:
            return REFUSAL
        action = self.rule_actions.get(intent)
        if action != "action_answer":
            return str(action)
        tracker = Tracker(
            "bench",
            {},
            {"intent": {"name": intent}, "entities": entities},
            [],
            False,
            None,
            {},
            "action_listen",
        )
        dispatcher = CollectingDispatcher()
        ActionAnswer().run(dispatcher, tracker, self.domain)
        text = "\n".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages)
        presentation = self.knowledge.presentation
        refusals = {presentation["out_of_scope"], presentation["not_understood"]} | {
            presentation["other_platform"].format(other_platform=e["value"])
            for e in entities
            if e["entity"] == "other_platform"
        }
        return REFUSAL if text in refusals else text

    def share_right(self, gold: Sequence[str], predicted: Sequence[str], entities) -> float:
        right = sum(
            self.reply(g, e) == self.reply(p, e) for g, p, e in zip(gold, predicted, entities, strict=True)
        )
        return right / len(gold)


def evaluate(model: Path, with_stock_baseline: bool, stock_dir: Path) -> Dict[str, Any]:
    heldout = load_examples(HELDOUT).intent_examples
    texts = [m.get("text") for m in heldout]
    gold = [m.get("intent") for m in heldout]
    parses = parse_with_model(model, texts)
    entities = [p["entities"] for p in parses]
    oracle = AnswerOracle()

    bot = score("this bot", gold, [p["intent"]["name"] for p in parses])
    bot.answer_share = oracle.share_right(gold, bot.predictions, entities)

    training = load_examples(TRAINING).intent_examples
    tfidf = score(
        "TF-IDF char n-gram retriever",
        gold,
        tfidf_predict([m.get("text") for m in training], [m.get("intent") for m in training], texts),
    )
    tfidf.answer_share = oracle.share_right(gold, tfidf.predictions, entities)
    results = [bot, tfidf]

    if with_stock_baseline:
        stock_model = stock_dir / "stock.tar.gz"
        # bench/run.py has trained the stock bot there already (bench/stock.py: the same pipeline
        # and NLU data, plus a dialogue policy), which serves for both; otherwise the NLU alone.
        if not stock_model.exists():
            stock_model = train_nlu(ROOT / "bench" / "stock_config.yml", TRAINING, stock_dir, "stock")
        stock_parses = parse_with_model(stock_model, texts)
        stock = score(
            "Rasa stock pipeline (rasa init + Jieba)", gold, [p["intent"]["name"] for p in stock_parses]
        )
        stock.answer_share = oracle.share_right(gold, stock.predictions, entities)
        results.append(stock)
    mistakes = Counter(
        (g, as_refusal(p)) for g, p in zip(gold, bot.predictions, strict=True) if g != as_refusal(p)
    )
    return {"results": results, "gold": gold, "mistakes": mistakes}
