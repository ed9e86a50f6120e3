"""Stock Rasa reference for the speed targets: the stock pipeline (bench/stock_config.yml) with the
bot's own dialogue policy (RulePolicy), trained on this bot's NLU data, every intent answered with a
fixed response by a rule; served by a plain `rasa run` with Rasa's own SQLite tracker store and the
REST channel only, no action server. What is left is what Rasa itself costs per message.
"""

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import yaml

from bench import understanding
from harness.bot import (
    ARTIFACTS,
    RunningBot,
    free_port,
    server_environment,
    stop_all,
    wait_until_up,
)

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")


def write_project(folder: Path) -> None:
    """config.yml, domain.yml and rules.yml of the stock bot in `folder` (the NLU data stays in data/nlu)."""
    training = understanding.load_examples(understanding.TRAINING)
    intents = sorted(training.intents)
    config = yaml.safe_load((ROOT / "bench" / "stock_config.yml").read_text(encoding="utf-8"))
    config["policies"] = [{"name": "RulePolicy"}]
    responses = {f"utter_{i}": [{"text": i}] for i in intents}
    responses["utter_default"] = [{"text": "default"}]
    domain = {
        "version": "3.1",
        "intents": intents + ["nlu_fallback"],
        "entities": sorted(training.entities),
        "responses": responses,
    }
    rules = {
        "version": "3.1",
        "rules": [{"rule": i, "steps": [{"intent": i}, {"action": f"utter_{i}"}]} for i in intents]
        + [{"rule": "fallback", "steps": [{"intent": "nlu_fallback"}, {"action": "utter_default"}]}],
    }
    for name, content in (("config.yml", config), ("domain.yml", domain), ("rules.yml", rules)):
        (folder / name).write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


def train(folder: Path) -> Path:
    """Trains the stock bot into `folder` (its own training cache, so nothing mixes with the bot's)."""
    write_project(folder)
    subprocess.run(
        [
            RASA,
            "train",
            "--config",
            str(folder / "config.yml"),
            "--domain",
            str(folder / "domain.yml"),
            "--data",
            str(understanding.TRAINING),
            str(folder / "rules.yml"),
            "--out",
            str(folder),
            "--fixed-model-name",
            "stock",
        ],
        cwd=folder,
        env=server_environment({"RASA_CACHE_DIRECTORY": str(folder / "cache")}),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return folder / "stock.tar.gz"


@contextmanager
def running_stock(model: Path, folder: Path) -> Iterator[RunningBot]:
    """`rasa run` of the stock model: REST only, Rasa's SQLTrackerStore on a fresh SQLite file."""
    port = free_port()
    (folder / "credentials.yml").write_text("rest:\n", encoding="utf-8")
    (folder / "endpoints.yml").write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {folder / 'stock-tracker.db'}\n",
        encoding="utf-8",
    )
    command = [RASA, "run", "--model", str(model), "--port", str(port)]
    command += [
        "--credentials",
        str(folder / "credentials.yml"),
        "--endpoints",
        str(folder / "endpoints.yml"),
    ]
    # cwd is the stock folder, so nothing of this project (its credentials, endpoints) is picked up.
    server = subprocess.Popen(
        command,
        cwd=folder,
        env=server_environment(),
        stdout=(ARTIFACTS / "stock_rasa_server.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", server, ARTIFACTS / "stock_rasa_server.log")
        yield RunningBot(
            webhook=f"http://127.0.0.1:{port}/webhooks/rest/webhook",
            rasa_pid=server.pid,
            action_pid=0,
            url=f"http://127.0.0.1:{port}",
            tracker_db=str(folder / "stock-tracker.db"),
        )
    finally:
        stop_all([server])
