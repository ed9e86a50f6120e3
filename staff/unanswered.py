"""`make unanswered-report`: what students asked that the bot could not answer.

Reads Rasa's SQL tracker store (table `events`) directly and writes a Markdown report for the
helpdesk staff, with a CSV beside it:
- questions that ended in the NLU fallback (`nlu_fallback`) or were out of scope (`out_of_scope`),
  grouped by similarity and counted, with the first and last date;
- walkthroughs abandoned half-way: the procedure and the step the student stopped at;
- the feedback on answers (有帮助 / 没帮助 under every answer, actions/feedback.py): per topic the
  没帮助 count with its reasons and the helpful rate, read from the feedback buttons' payloads
  (`/feedback{"topic": …, "helpful": …}`), which carry no text anyone typed.
Every question is redacted before it is grouped or written: the project's own masking (ID numbers,
mobile numbers, passwords) plus e-mail addresses, bank cards and other long numbers.

    python -m staff.unanswered [--tracker-db var/tracker.db | --url postgresql://…]
                               [--out reports/unanswered.md] [--since 2025-09-01]
"""

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import quote, unquote

import sqlalchemy as sa
from sklearn.feature_extraction.text import TfidfVectorizer

from knowledge.loader import load_knowledge
from knowledge.text import normalize
from privacy import redact as privacy_redact
from staff.spreadsheet import safe_row

# The intents that mean "not answered", as the staff call them.
UNANSWERED = {"nlu_fallback": "没看懂", "out_of_scope": "超出范围"}
WALKTHROUGH_SLOT = "walkthrough"
# Events after which the walkthrough slot is gone (carry_over_slots_to_new_session is false).
SLOTS_CLEARED = {"session_started", "restart", "reset_slots"}
# Rasa starts a new session after 60 minutes of silence (domain.yml): only then is a walkthrough
# surely abandoned rather than still going on.
IDLE_MINUTES = 60
SIMILARITY = 0.5
MAX_EXAMPLES = 5

# ---- personal data ----

# Whatever long number is left (QQ号, 学号, a mistyped phone number) is no business of the report.
LONG_NUMBER = re.compile(r"\d{7,}")


def redact(text: str) -> str:
    """The text with all personal data replaced by placeholders such as 【手机号】 or 【邮箱】:
    the project's own redaction, and then any long number (the report needs none)."""
    return LONG_NUMBER.sub("【号码】", privacy_redact(text))


# ---- reading the tracker store ----


@dataclass
class Event:
    sender: str
    type: str
    timestamp: float
    data: dict


def sqlite_url(path: Path) -> str:
    # Read-only: the report must never change (or create) the bot's tracker store.
    return f"sqlite:///file:{quote(str(path.resolve()))}?mode=ro&uri=true"


def read_events(url: str, since: Optional[float] = None) -> Iterator[Event]:
    """The events that matter here, per conversation in the order they happened."""
    types = ["user", "slot", *sorted(SLOTS_CLEARED)]
    query = sa.text(
        "SELECT sender_id, type_name, timestamp, data FROM events "
        "WHERE type_name IN :types AND timestamp >= :since ORDER BY sender_id, id"
    ).bindparams(sa.bindparam("types", expanding=True))
    params = {"types": types, "since": since or 0}
    try:
        rows = fetched(url, query, params)
    except sa.exc.OperationalError:
        fallback = stopped_wal_url(url)
        if fallback is None:
            raise
        rows = fetched(fallback, query, params)
    for sender, type_name, timestamp, data in rows:
        yield Event(sender, type_name, timestamp or 0.0, json.loads(data or "{}"))


def fetched(url: str, query: Any, params: Dict[str, Any]) -> List[Tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(query, params).fetchall()
    finally:
        engine.dispose()


def stopped_wal_url(url: str) -> Optional[str]:
    """The tracker store's SQLite file is in WAL mode (stores/redacting.py): a read-only opener
    needs its -wal and -shm files, which the server keeps while it runs and removes when it stops.
    A reader that may not create them in the folder (another user) cannot open it then; with no
    -wal file the database file holds every save, and it is read as immutable. None when that does
    not apply (not a read-only SQLite URL, or a -wal file is there)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or "mode=ro" not in url or not parsed.database:
        return None
    path = parsed.database[len("file:") :] if parsed.database.startswith("file:") else parsed.database
    if Path(f"{unquote(path)}-wal").exists():
        return None
    return f"{url}&immutable=1"


# ---- what went unanswered ----


@dataclass
class Question:
    text: str  # redacted
    kind: str  # 没看懂 / 超出范围
    timestamp: float


@dataclass
class Abandoned:
    procedure: str
    step: int  # 0-based, the step shown last
    timestamp: float


@dataclass
class Stats:
    messages: int = 0  # typed by students (button payloads not counted)
    conversations: int = 0
    first: Optional[float] = None
    last: Optional[float] = None


def unanswered_questions(events: Iterable[Event]) -> List[Question]:
    questions = []
    for event in events:
        if event.type != "user":
            continue
        intent = ((event.data.get("parse_data") or {}).get("intent") or {}).get("name")
        text = (event.data.get("text") or "").strip()
        if intent in UNANSWERED and text and not text.startswith("/"):
            questions.append(Question(redact(text), UNANSWERED[intent], event.timestamp))
    return questions


def abandoned_walkthroughs(
    events: Iterable[Event], now: float, idle_minutes: float = IDLE_MINUTES
) -> List[Abandoned]:
    """Walkthroughs whose slot never went back to null (done or exited): left at some step."""
    running: Dict[str, Abandoned] = {}
    last_seen: Dict[str, float] = {}
    found = []
    for event in events:
        last_seen[event.sender] = event.timestamp
        if event.type in SLOTS_CLEARED:
            if event.sender in running:
                found.append(running.pop(event.sender))
        elif event.type == "slot" and event.data.get("name") == WALKTHROUGH_SLOT:
            state = event.data.get("value") or {}
            current = running.pop(event.sender, None)
            if state.get("procedure"):
                if current and current.procedure != state["procedure"]:
                    found.append(current)  # left for another walkthrough
                running[event.sender] = Abandoned(
                    state["procedure"], int(state.get("step") or 0), event.timestamp
                )
            elif state and current:
                found.append(current)  # left to set up a new walkthrough
    # Still open at the end: abandoned once the conversation has been silent long enough.
    found += [w for sender, w in running.items() if now - last_seen[sender] >= idle_minutes * 60]
    return found


def statistics(events: Iterable[Event]) -> Stats:
    stats, senders = Stats(), set()
    for event in events:
        if event.type != "user" or (event.data.get("text") or "").startswith("/"):
            continue
        stats.messages += 1
        senders.add(event.sender)
        stats.first = min(stats.first or event.timestamp, event.timestamp)
        stats.last = max(stats.last or event.timestamp, event.timestamp)
    stats.conversations = len(senders)
    return stats


# ---- feedback on answers ----

FEEDBACK_INTENT = "feedback"


def helpful_rate(helpful: int, unhelpful: int) -> str:
    """The share of 有帮助 among the votes, "—" without any."""
    total = helpful + unhelpful
    return f"{helpful / total:.0%}" if total else "—"


@dataclass
class TopicFeedback:
    topic: str
    title: str
    helpful: int = 0
    unhelpful: int = 0
    reasons: Counter = field(default_factory=Counter)  # reason label -> count
    first: Optional[float] = None
    last: Optional[float] = None

    @property
    def rate(self) -> str:
        return helpful_rate(self.helpful, self.unhelpful)

    @property
    def reason_text(self) -> str:
        return "、".join(f"{label} {n}" for label, n in self.reasons.most_common()) or "—"


def _entities(event: Event) -> Dict[str, str]:
    found = {}
    for entity in (event.data.get("parse_data") or {}).get("entities") or []:
        if isinstance(entity, dict) and isinstance(entity.get("value"), str):
            found.setdefault(str(entity.get("entity")), entity["value"])
    return found


@dataclass
class Vote:
    sender: str
    topic: str
    helpful: bool
    timestamp: float
    reason: Optional[str] = None  # its label, after 没帮助


def feedback_votes(events: Iterable[Event]) -> List[Vote]:
    """有帮助 / 没帮助, one vote per conversation and topic (its last tap, so a student who changes
    their mind counts once), with the reason given after 没帮助; oldest first."""
    reason_labels = load_knowledge().presentation["feedback"]["reasons"]
    votes: Dict[Tuple[str, str], Tuple[str, float]] = {}
    reasons: Dict[Tuple[str, str], str] = {}
    for event in events:
        if event.type != "user":
            continue
        intent = ((event.data.get("parse_data") or {}).get("intent") or {}).get("name")
        entities = _entities(event)
        topic = entities.get("topic")
        if intent != FEEDBACK_INTENT or not topic:
            continue
        key = (event.sender, topic)
        if entities.get("helpful") in ("yes", "no"):
            votes[key] = (entities["helpful"], event.timestamp)
        elif entities.get("reason") in reason_labels:
            reasons[key] = reason_labels[entities["reason"]]
    found = [
        Vote(
            sender,
            topic,
            helpful == "yes",
            timestamp,
            None if helpful == "yes" else reasons.get((sender, topic)),
        )
        for (sender, topic), (helpful, timestamp) in votes.items()
    ]
    return sorted(found, key=lambda v: v.timestamp)


def feedback_by_topic(events: Iterable[Event]) -> List[TopicFeedback]:
    """The votes of feedback_votes per topic, with the reasons given after 没帮助; most 没帮助 first."""
    knowledge = load_knowledge()
    by_topic: Dict[str, TopicFeedback] = {}
    for vote in feedback_votes(events):
        title = knowledge.topics.get(vote.topic, {}).get("title", vote.topic)
        item = by_topic.setdefault(vote.topic, TopicFeedback(vote.topic, title))
        if vote.helpful:
            item.helpful += 1
        else:
            item.unhelpful += 1
            if vote.reason:
                item.reasons[vote.reason] += 1
        item.first = min(item.first or vote.timestamp, vote.timestamp)
        item.last = max(item.last or vote.timestamp, vote.timestamp)
    return sorted(by_topic.values(), key=lambda f: (-f.unhelpful, -f.helpful, f.topic))


def period_of(timestamp: float, weekly: bool) -> str:
    """The day (YYYY-MM-DD), or the Monday of the week, a timestamp falls in (local time)."""
    moment = datetime.fromtimestamp(timestamp)
    if weekly:
        moment -= timedelta(days=moment.weekday())
    return moment.strftime("%Y-%m-%d")


def feedback_trend(votes: Iterable[Vote], weekly: bool = False) -> List[Tuple[str, int, int]]:
    """(day or week, 有帮助, 没帮助) for every period that has a vote, oldest first."""
    counts: Dict[str, List[int]] = {}
    for vote in votes:
        pair = counts.setdefault(period_of(vote.timestamp, weekly), [0, 0])
        pair[0 if vote.helpful else 1] += 1
    return [(period, helpful, unhelpful) for period, (helpful, unhelpful) in sorted(counts.items())]


# ---- grouping ----

# Question words and particles say little about the topic: "食堂几点开门" and "食堂什么时候开门"
# are the same question. Placeholders are left out too, or all personal data would look alike.
FILLER = re.compile(
    r"【[^】]*】|什么时候|啥时候|几点钟|几点|多少|怎么样|怎么|怎样|咋样|咋|如何|为什么|为啥|什么|啥"
    r"|请问|能不能|可不可以|可以|一下|我想|我要|我们|我的|吗|呢|吧|啊|呀|哦|了|的|[\W_]+"
)


def similarity_key(text: str) -> str:
    normalized = normalize(text).lower()  # as the NLU read it: simplified, typos fixed
    return FILLER.sub("", normalized) or normalized or text


@dataclass
class Group:
    wordings: List[Tuple[str, List[Question]]] = field(default_factory=list)  # most asked first

    @property
    def questions(self) -> List[Question]:
        return [q for _, qs in self.wordings for q in qs]

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def representative(self) -> str:
        return self.wordings[0][0]

    @property
    def examples(self) -> List[str]:
        return [text for text, _ in self.wordings[1 : MAX_EXAMPLES + 1]]

    @property
    def kinds(self) -> str:
        counts = Counter(q.kind for q in self.questions)
        return "、".join(f"{kind} {n}" for kind, n in counts.most_common())

    @property
    def first(self) -> float:
        return min(q.timestamp for q in self.questions)

    @property
    def last(self) -> float:
        return max(q.timestamp for q in self.questions)


def group_questions(questions: List[Question]) -> List[Group]:
    """Similar questions together (character n-gram TF-IDF, cosine ≥ SIMILARITY to the group's
    most asked wording), most asked group first."""
    by_text: Dict[str, List[Question]] = {}
    for question in questions:
        by_text.setdefault(question.text, []).append(question)
    wordings = sorted(by_text.items(), key=lambda item: (-len(item[1]), item[1][0].timestamp))
    if not wordings:
        return []
    vectors = TfidfVectorizer(analyzer="char", ngram_range=(1, 2)).fit_transform(
        [similarity_key(text) for text, _ in wordings]
    )  # rows are L2-normalised: a dot product is the cosine
    groups: List[Group] = []
    leaders: List[int] = []
    for i, wording in enumerate(wordings):
        if leaders:
            similarities = (vectors[leaders] @ vectors[i].T).toarray().ravel()
            best = int(similarities.argmax())
            if similarities[best] >= SIMILARITY:
                groups[best].wordings.append(wording)
                continue
        leaders.append(i)
        groups.append(Group([wording]))
    return sorted(groups, key=lambda g: (-g.count, g.first))


@dataclass
class StepGroup:
    procedure: str
    title: str
    index: int  # 0-based step
    step: str  # 第2/5步：…
    walkthroughs: List[Abandoned]

    @property
    def count(self) -> int:
        return len(self.walkthroughs)

    @property
    def first(self) -> float:
        return min(w.timestamp for w in self.walkthroughs)

    @property
    def last(self) -> float:
        return max(w.timestamp for w in self.walkthroughs)


def group_walkthroughs(walkthroughs: List[Abandoned]) -> List[StepGroup]:
    knowledge = load_knowledge()
    by_step: Dict[Tuple[str, int], List[Abandoned]] = {}
    for w in walkthroughs:
        by_step.setdefault((w.procedure, w.step), []).append(w)
    groups = []
    for (procedure, step), items in by_step.items():
        title = knowledge.procedures.get(procedure, {}).get("title", procedure)
        steps = knowledge.steps_of(procedure) if procedure in knowledge.procedures else []
        if step < len(steps):
            label = f"第{step + 1}/{len(steps)}步：{steps[step]['do']}"
        else:  # the procedure changed since
            label = f"第{step + 1}步"
        groups.append(StepGroup(procedure, title, step, label, items))
    return sorted(groups, key=lambda g: (-g.count, g.procedure, g.index))


# ---- the report ----


def day(timestamp: Optional[float]) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d") if timestamp else "—"


def cell(text: str) -> str:
    """Text inside a Markdown table cell, shown as typed."""
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)


def table(header: str, alignment: str, rows: Sequence[str], empty: str) -> List[str]:
    """A numbered Markdown table of `rows` (cells after the number, joined by " | "), or `empty`."""
    if not rows:
        return [empty]
    return [header, alignment, *(f"| {n} | {row} |" for n, row in enumerate(rows, 1))]


def render_markdown(
    source: str,
    stats: Stats,
    groups: List[Group],
    steps: List[StepGroup],
    since: Optional[str],
    feedback: Sequence[TopicFeedback] = (),
) -> str:
    unanswered = sum(g.count for g in groups)
    share = f"{unanswered / stats.messages:.1%}" if stats.messages else "—"
    out = [
        "# 未能回答的问题报告",
        "",
        f"- 统计时段：{since or day(stats.first)} 至 {day(stats.last)}",
        f"- 生成时间：{datetime.now().strftime('%Y-%m-%d %H:%M')}（数据来源：{source}）",
        f"- 学生发来的消息 {stats.messages} 条（不含点按钮），来自 {stats.conversations} 个对话",
        f"- 未能回答 {unanswered} 条（占 {share}），归为 {len(groups)} 组；"
        f"中途放弃的引导 {sum(s.count for s in steps)} 次；回答被评为没帮助 {sum(f.unhelpful for f in feedback)} 次",
        "- 个人信息（身份证号、手机号、密码、邮箱、银行卡号等长数字）已替换为【…】占位符。",
        "",
        "## 未能回答的问题",
        "",
        "机器人没看懂（nlu_fallback）或超出了它的范围（out_of_scope）的提问。相似的问法归为一组，"
        "按次数排序：次数多的是下一轮补充知识的首选。",
        "",
    ]
    out += table(
        "| # | 次数 | 首次 | 最近 | 代表问题 | 类型 | 其他问法（最多5条） |",
        "|---:|---:|---|---|---|---|---|",
        [
            f"{g.count} | {day(g.first)} | {day(g.last)} | {cell(g.representative)} | {g.kinds} | "
            + ("；".join(cell(e) for e in g.examples) or "—")
            for g in groups
        ],
        "这段时间没有未能回答的问题。",
    )
    out += [
        "",
        "## 中途放弃的引导",
        "",
        "开始了一步一步的引导，却既没有完成也没有点“退出引导”就离开了：停在哪一步，说明那一步"
        "可能说得不清楚，或者平台界面已经变了。",
        "",
    ]
    out += table(
        "| # | 次数 | 首次 | 最近 | 引导 | 停在 |",
        "|---:|---:|---|---|---|---|",
        [
            f"{s.count} | {day(s.first)} | {day(s.last)} | {cell(s.title)}（{s.procedure}） | {cell(s.step)}"
            for s in steps
        ],
        "这段时间没有中途放弃的引导。",
    )
    out += [
        "",
        "## 回答的反馈（有帮助 / 没帮助）",
        "",
        "学生在回答下面点的“有帮助 / 没帮助”（微信里回复“有用 / 没用”），按回答的主题统计，每个对话每个"
        "主题只算最后一次；没帮助的原因是学生可选填的。没帮助多的回答最需要改进。不含任何学生输入的文字。",
        "",
    ]
    out += table(
        "| # | 主题 | 没帮助 | 有帮助 | 有帮助比例 | 没帮助的原因 | 首次 | 最近 |",
        "|---:|---|---:|---:|---:|---|---|---|",
        [
            f"{cell(f.title)}（{f.topic}） | {f.unhelpful} | {f.helpful} | {f.rate} | {f.reason_text} | "
            f"{day(f.first)} | {day(f.last)}"
            for f in feedback
        ],
        "这段时间没有对回答的反馈。",
    )
    return "\n".join(out) + "\n"


CSV_COLUMNS = ["类别", "次数", "首次日期", "最近日期", "代表问题或引导", "停在步骤", "类型", "其他问法"]


def write_csv(
    path: Path, groups: List[Group], steps: List[StepGroup], feedback: Sequence[TopicFeedback] = ()
) -> None:
    # utf-8-sig: Excel, which the staff open it with, then reads the Chinese correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        # Questions are typed by students: no cell may be read as a formula.
        for g in groups:
            writer.writerow(
                safe_row(
                    [
                        "未能回答的问题",
                        g.count,
                        day(g.first),
                        day(g.last),
                        g.representative,
                        "",
                        g.kinds,
                        " / ".join(g.examples),
                    ]
                )
            )
        for s in steps:
            writer.writerow(
                safe_row(
                    [
                        "中途放弃的引导",
                        s.count,
                        day(s.first),
                        day(s.last),
                        f"{s.title}（{s.procedure}）",
                        s.step,
                        "",
                        "",
                    ]
                )
            )
        for f in feedback:  # 次数: 没帮助; 类型: the counts and the rate; 其他问法: the reasons
            writer.writerow(
                safe_row(
                    [
                        "回答的反馈（没帮助）",
                        f.unhelpful,
                        day(f.first),
                        day(f.last),
                        f"{f.title}（{f.topic}）",
                        "",
                        f"没帮助 {f.unhelpful}、有帮助 {f.helpful}、有帮助比例 {f.rate}",
                        f.reason_text,
                    ]
                )
            )


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tracker-db", type=Path, default=Path("var/tracker.db"), help="the SQLite tracker store"
    )
    parser.add_argument(
        "--url",
        help="an SQLAlchemy URL of the tracker store instead (e.g. postgresql://user:password@host/rasa)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reports/unanswered.md"),
        help="the Markdown report; the CSV is written beside it",
    )
    parser.add_argument("--since", help="only from this day on (YYYY-MM-DD)")
    parser.add_argument(
        "--idle-minutes",
        type=float,
        default=IDLE_MINUTES,
        help="a walkthrough counts as abandoned once its conversation has been silent this long",
    )
    args = parser.parse_args(argv)

    if args.url:
        url = args.url
        source = sa.engine.make_url(url).render_as_string(hide_password=True)
    else:
        if not args.tracker_db.exists():
            sys.exit(f"no tracker store at {args.tracker_db}: the bot writes it when it runs")
        url, source = sqlite_url(args.tracker_db), args.tracker_db.as_posix()
    since = datetime.strptime(args.since, "%Y-%m-%d").timestamp() if args.since else None

    events = list(read_events(url, since))
    groups = group_questions(unanswered_questions(events))
    steps = group_walkthroughs(abandoned_walkthroughs(events, time.time(), args.idle_minutes))
    feedback = feedback_by_topic(events)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        render_markdown(source, statistics(events), groups, steps, args.since, feedback), encoding="utf-8"
    )
    csv_path = args.out.with_suffix(".csv")
    write_csv(csv_path, groups, steps, feedback)
    print(
        f"wrote {args.out} and {csv_path}: {sum(g.count for g in groups)} unanswered questions "
        f"in {len(groups)} groups, {sum(s.count for s in steps)} abandoned walkthroughs, "
        f"{sum(f.unhelpful for f in feedback)} answers rated 没帮助"
    )


if __name__ == "__main__":
    main()
