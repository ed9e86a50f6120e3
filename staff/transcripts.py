"""`make transcripts`: the conversation tests as readable transcripts, for onboarding.

Replays every conversation of tests/conversations/*.yml (Rasa test stories) and
tests/walkthroughs/conversations.yml (typed and pressed turns) against a real running bot and writes
one Markdown file per source file plus index.md. Only what the student says or taps is taken from
the test files; every answer is what the live bot replied, so the material cannot drift from it.

    python -m staff.transcripts [--out docs/transcripts] [--model models/helpdesk.tar.gz]
    python -m staff.transcripts --webhook http://localhost:5005/webhooks/rest/webhook
"""

import argparse
import hashlib
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from harness.bot import new_sender, running_bot, say

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "helpdesk.tar.gz"
STORIES_DIR = ROOT / "tests" / "conversations"
WALKTHROUGHS = ROOT / "tests" / "walkthroughs" / "conversations.yml"
DEFAULT_OUT = Path("docs") / "transcripts"

# Entity annotations in test stories: [职教云](platform), [职教云](platform:icve), [x]{"entity": …}.
ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")

# A turn is ("say", text typed) or ("press", title of a button in the previous reply).
Turn = Tuple[str, str]


@dataclass
class Source:
    path: Path  # the test file
    conversations: Dict[str, List[Turn]]

    @property
    def name(self) -> str:
        return relative(self.path)

    @property
    def out_name(self) -> str:
        """tests/conversations/icve.yml -> conversations-icve.md"""
        parts = self.path.relative_to(ROOT / "tests").with_suffix(".md").parts
        return "-".join(parts)


def relative(path: Path) -> str:
    """The path as shown in a header: relative to the project, never absolute."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def short_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def typed_text(user: str) -> str:
    """What the student typed: the story's text without its entity annotations."""
    return ANNOTATION.sub(r"\1", user).strip()


def load_stories(path: Path) -> Source:
    stories = yaml.safe_load(path.read_text(encoding="utf-8")).get("stories") or []
    conversations = {}
    for story in stories:
        turns: List[Turn] = []
        for step in story.get("steps", []):
            if "user" in step:
                turns.append(("say", typed_text(step["user"])))
            elif "intent" in step:  # a turn given by intent only is sent as its payload
                turns.append(("say", f"/{step['intent']}"))
        conversations[story["story"]] = turns
    return Source(path, conversations)


def load_walkthroughs(path: Path) -> Source:
    script = yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]
    conversations = {
        name: [("press", t["press"]) if "press" in t else ("say", t["say"]) for t in turns]
        for name, turns in script.items()
    }
    return Source(path, conversations)


def load_sources() -> List[Source]:
    sources = [load_stories(p) for p in sorted(STORIES_DIR.glob("*.yml"))]
    return sources + [load_walkthroughs(WALKTHROUGHS)]


def button_payload(reply: List[Dict[str, Any]], title: str) -> str:
    buttons = {b["title"]: b["payload"] for m in reply for b in m.get("buttons", [])}
    if title not in buttons:
        raise SystemExit(f"the bot's reply has no button {title!r} (it has {list(buttons)})")
    return buttons[title]


def replay(webhook: str, turns: List[Turn]) -> List[Tuple[Turn, List[Dict[str, Any]]]]:
    """Each turn with the bot's reply, in a fresh conversation."""
    sender, reply, exchanges = new_sender(), [], []
    for kind, value in turns:
        reply = say(webhook, sender, button_payload(reply, value) if kind == "press" else value)
        exchanges.append(((kind, value), reply))
    return exchanges


# ---- Markdown ----


def escape(line: str) -> str:
    """Bot and student text shown as text: no emphasis, links, HTML, lists or headings."""
    line = re.sub(r"([\\`*_\[\]<>|])", r"\\\1", line)
    line = re.sub(r"^(\s*)(\d+)\.", r"\1\2\\.", line)  # "1. 打开…" stays a line, not a list
    return re.sub(r"^(\s*)([#+-])", r"\1\\\2", line)


def render_reply(reply: List[Dict[str, Any]]) -> List[str]:
    """The bot's messages as one quote: its line breaks kept (hard breaks), buttons listed."""
    paragraphs = []
    for message in reply:
        lines = [escape(line) for line in message.get("text", "").split("\n")]
        titles = [b["title"] for b in message.get("buttons", [])]
        if titles:
            lines.append("【按钮】" + " ｜ ".join(escape(t) for t in titles))
        paragraphs.append(lines)
    if not paragraphs:
        paragraphs = [["（没有回复）"]]
    paragraphs[0][0] = "**助手：** " + paragraphs[0][0]
    quoted = []
    for lines in paragraphs:
        if quoted:
            quoted.append(">")
        quoted += [f"> {line}\\" for line in lines[:-1]] + [f"> {lines[-1]}"]
    return quoted


def render_turn(turn: Turn) -> str:
    kind, value = turn
    if kind == "press":
        return f"**学生：**（点按【{escape(value)}】）"
    return f"**学生：** {escape(value)}"


def header(source_names: Sequence[str], model_label: str, when: str) -> str:
    return (
        f"*由 `make transcripts` 于 {when} 生成。学生的话取自 {'、'.join(source_names)}；"
        f"助手的每条回复都是{model_label}的实际回答。请勿手工修改，重新运行 `make transcripts`。*"
    )


def render_source(source: Source, results: Dict[str, list], model_label: str, when: str) -> str:
    source_label = f"`{source.name}`（sha256 {short_hash(source.path)}）"
    out = [f"# 对话记录：{source.name}", "", header([source_label], model_label, when), ""]
    for number, (name, exchanges) in enumerate(results.items(), 1):
        out += [f"## {number}. {escape(name)}", ""]
        for turn, reply in exchanges:
            out += [render_turn(turn), ""] + render_reply(reply) + [""]
    return "\n".join(out)


def render_index(sources: List[Source], model_label: str, when: str) -> str:
    names = [f"`{s.name}`" for s in sources]
    out = ["# 对话记录（培训材料）", "", header(names, model_label, when), ""]
    for source in sources:
        out.append(
            f"- [{source.out_name}]({source.out_name})（{source.name}，{len(source.conversations)} 段对话）"
        )
        out += [f"  - {escape(name)}" for name in source.conversations]
    return "\n".join(out) + "\n"


def generate(out: Path, webhook: str, model: Optional[Path] = None) -> List[Path]:
    """Replays every conversation on the bot at `webhook`; returns the files written."""
    when = datetime.now().strftime("%Y-%m-%d %H:%M")
    model_label = (
        f"运行中的机器人（模型 `{relative(model)}`，sha256 {short_hash(model)}）"
        if model
        else "运行中的机器人"
    )
    sources = load_sources()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        results = {name: replay(webhook, turns) for name, turns in source.conversations.items()}
        path = out / source.out_name
        path.write_text(render_source(source, results, model_label, when), encoding="utf-8")
        written.append(path)
    index = out / "index.md"
    index.write_text(render_index(sources, model_label, when), encoding="utf-8")
    return written + [index]


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--model", type=Path, default=MODEL, help="the model the bot runs")
    parser.add_argument("--webhook", help="use this running bot's REST webhook instead")
    args = parser.parse_args(argv)
    if args.webhook:
        written = generate(args.out, args.webhook)
    else:
        if not args.model.exists():
            sys.exit(f"{args.model} is missing: run `make train` first")
        with (
            tempfile.TemporaryDirectory() as workdir,
            running_bot(args.model, Path(workdir), log_prefix="transcripts-") as bot,
        ):
            written = generate(args.out, bot.webhook, args.model)
    print(f"wrote {len(written)} files to {args.out}/: " + ", ".join(p.name for p in written))


if __name__ == "__main__":
    main()
