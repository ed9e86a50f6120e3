"""Where every text the bot states comes from: the quotes of data/knowledge, read and checked at load.

A text that states a fact is written in data/knowledge as a mapping:

    {text: 注销后原手机号需间隔180天才能重新注册。, quote: '注销后原手机号需间隔180天才能重新注册'}

`quote` is the shortest span of the source document that supports it, verbatim (a list when the
text rests on several spans); `source` (a document id of sources.yml) is inherited from the topic
(its platform's document), procedure or misconception the text belongs to, and may be given on the
text to override. A text that is the bot's own guidance (how to use the bot, general navigation,
"资料没有写……") is written `{text: …, guidance: true}` instead: it may state no number and no
menu name (tests/test_provenance.py). Where a mapping has one text of its own, the quote sits
beside it: a procedure step's `do`, a rehearsal security reminder's `text`.

`read_texts(files)` checks every such place (a bare string, a missing quote or an unknown key is a
`KnowledgeError` naming the file and the key), replaces each mapping by its plain text (so every
reader of the knowledge sees strings, as before) and returns what it found: one `Provenance` per
text, by its place (e.g. ``("topics", "icve_multi_device", "points", 1)``).

Message templates (walkthroughs.yml `questions`/`messages`, rehearsal.yml `messages`, the layout
strings of presentation.yml) are the bot's own words and stay plain strings; a presentation message
that states a fact is written as a mapping like any other text.

The helpers below (`normalise`, `claims`, `unsupported`) compare a text with its quotes: the tests
and the content owner's report (staff/knowledge_report.py) use the same ones.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

TEXT_KEYS = ("text", "quote", "source", "guidance")
# Sections of presentation.yml that other parts of the project own (channels): not read here.
PRESENTATION_ELSEWHERE = {"limits", "wechat"}

Place = Tuple[Any, ...]


class KnowledgeError(ValueError):
    """A knowledge file that breaks the schema; the message names the file and the key."""


@dataclass(frozen=True)
class Provenance:
    """One text the bot states, and what it rests on."""

    file: Text  # "topics.yml"
    key: Text  # "topics.icve_multi_device.points[1]"
    text: Text
    source: Optional[Text] = None  # a document id of sources.yml; None for guidance
    quotes: Tuple[Text, ...] = ()
    guidance: bool = False


def _key(place: Place) -> Text:
    out = ""
    for part in place:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Reader:
    def __init__(self, sources: Dict[Text, Any]) -> None:
        self.sources = sources
        self.found: Dict[Place, Provenance] = {}

    def fail(self, file: Text, place: Place, problem: Text) -> None:
        raise KnowledgeError(f"data/knowledge/{file}: {_key(place)}: {problem}")

    def keys(self, file: Text, place: Place, raw: Any, allowed: Iterable[Text]) -> Dict[Text, Any]:
        if not isinstance(raw, dict):
            self.fail(file, place, f"expected a mapping, found {type(raw).__name__}")
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            self.fail(file, place, f"unknown key `{unknown[0]}` (allowed: {', '.join(sorted(allowed))})")
        return raw

    def text(
        self,
        file: Text,
        place: Place,
        raw: Any,
        source: Optional[Text],
        text_key: Text = "text",
        extra: Iterable[Text] = (),
    ) -> Text:
        """The plain text of a text item, its provenance recorded under `place`."""
        if not isinstance(raw, dict):
            self.fail(
                file,
                place,
                "a text the bot states must be a mapping {text: …, quote: …} "
                "(or {text: …, guidance: true} for the bot's own guidance), "
                f"found {type(raw).__name__} {str(raw)[:30]!r}",
            )
        allowed = {text_key, *TEXT_KEYS[1:], *extra}
        self.keys(file, place, raw, allowed)
        text = raw.get(text_key)
        if not isinstance(text, str) or not text.strip():
            self.fail(file, place, f"missing `{text_key}`")
        if "guidance" in raw:
            if raw["guidance"] is not True:
                self.fail(file, place, "`guidance` can only be true")
            if "quote" in raw or "source" in raw:
                self.fail(file, place, "a guidance text has no `quote` or `source`")
            self.found[place] = Provenance(file, _key(place), text.strip(), guidance=True)
            return text.strip()
        if "quote" not in raw:
            self.fail(
                file,
                place,
                "missing `quote` (the words of the document the text rests on), "
                "or `guidance: true` for the bot's own guidance",
            )
        quotes = raw["quote"] if isinstance(raw["quote"], list) else [raw["quote"]]
        if not quotes or not all(isinstance(q, str) and q.strip() for q in quotes):
            self.fail(file, place, "`quote` must be a non-empty text or a list of them")
        source = raw.get("source", source)
        if source not in self.sources:
            self.fail(file, place, f"unknown or missing `source` {source!r}")
        self.found[place] = Provenance(
            file, _key(place), text.strip(), source, tuple(q.strip() for q in quotes)
        )
        return text.strip()

    def texts(self, file: Text, place: Place, raw: Any, source: Optional[Text]) -> List[Text]:
        if not isinstance(raw, list):
            self.fail(file, place, f"expected a list, found {type(raw).__name__}")
        return [self.text(file, (*place, i), item, source) for i, item in enumerate(raw)]


def read_texts(files: Dict[Text, Any]) -> Dict[Place, Provenance]:
    """Checks the texts of the knowledge files, replaces them by plain strings in `files` and
    returns their provenance by place. The keys of the mappings around the texts (a topic's, a
    procedure's) are the schema's to check (knowledge/schema.py), once."""
    sources = files["sources"]["sources"]
    reader = _Reader(sources)

    for pid, procedure in files["procedures"]["procedures"].items():
        place = ("procedures", pid)
        source = procedure.get("source")
        steps = []
        for i, step in enumerate(procedure["steps"]):
            if isinstance(step, dict) and "include" in step:
                reader.keys("procedures.yml", (*place, "steps", i), step, {"include"})
                steps.append(step)
                continue
            step_place = (*place, "steps", i)
            plain = {
                "do": reader.text(
                    "procedures.yml",
                    (*step_place, "do"),
                    step,
                    source,
                    text_key="do",
                    extra=("see", "hint", "keywords"),
                )
            }
            for part in ("see", "hint"):
                if part in step:
                    plain[part] = reader.text("procedures.yml", (*step_place, part), step[part], source)
            if "keywords" in step:
                plain["keywords"] = step["keywords"]
            steps.append(plain)
        procedure["steps"] = steps
        if "check" in procedure:
            procedure["check"] = reader.text("procedures.yml", (*place, "check"), procedure["check"], source)

    for mid, belief in files["misconceptions"]["misconceptions"].items():
        place = ("misconceptions", mid)
        for part in ("belief", "correction"):
            belief[part] = reader.text(
                "misconceptions.yml", (*place, part), belief[part], belief.get("source")
            )

    for tid, topic in files["topics"]["topics"].items():
        place = ("topics", tid)
        source = topic.get("source", f"{topic.get('platform')}_doc")
        if "answer" in topic:
            topic["answer"] = reader.text("topics.yml", (*place, "answer"), topic["answer"], source)
        for part in ("points", "warnings"):
            if part in topic:
                topic[part] = reader.texts("topics.yml", (*place, part), topic[part], source)

    rehearsal = files["rehearsal"]
    for rid, reminder in rehearsal["security"].items():
        place = ("rehearsal", "security", rid)
        text = reader.text("rehearsal.yml", place, reminder, None, extra=("keywords",))
        rehearsal["security"][rid] = {"text": text, "keywords": reminder.get("keywords", [])}

    presentation = files["presentation"]
    for name, value in presentation.items():
        if name not in PRESENTATION_ELSEWHERE and isinstance(value, dict) and "text" in value:
            presentation[name] = reader.text("presentation.yml", ("presentation", name), value, None)
    return reader.found


# ---- comparing a text with its quotes ----

_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "…": "."})
_UNITS = "个工作日|个常用设备|小时|分钟|工作日|个|天|处|年|条|步|台|名|周|月|种|次|倍|阶|%"
# A number with its unit ("72小时", "至少2处" -> "2处", "第47条" -> "47条"); Chinese numerals only
# with a unit ("三阶", "两小时"), and never 一 (一人一号, 这一台 are no counts).
_NUMBER = re.compile(rf"\d+(?:\.\d+)?(?:{_UNITS})?|[二两三四五六七八九十百千]+(?:{_UNITS})")
_LABEL = re.compile(r'"([^"]+)"')
_KEYS = re.compile(r"[A-Za-z]+(?:\+[A-Za-z]+)+")  # Ctrl+Shift+Delete
_LIST_MARKER = re.compile(r"^\s*(?:\d+\.|□)\s*")  # "1. ", "□ ": layout, not a claim
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_WORDISH = re.compile(r"[\w]")


def normalise(text: Text) -> Text:
    """For comparing a text or quote with a document: NFKC (full-width -> half-width), the
    typographic quotes as ASCII ones, no whitespace."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTE_MARKS)
    return re.sub(r"\s+", "", text)


def claims(text: Text) -> List[Text]:
    """What in a text must come from a document: numbers and durations with their unit, menu
    names (“…” quoted labels, key combinations) and → paths (the words either side of each arrow)."""
    plain = normalise(_LIST_MARKER.sub("", _PLACEHOLDER.sub("", text)))
    found = [m.group(0) for m in _NUMBER.finditer(plain)]
    found += [f"“{m.group(1).strip('.')}”" for m in _LABEL.finditer(plain) if m.group(1).strip(".")]
    found += [m.group(0) for m in _KEYS.finditer(plain)]
    bare = plain.replace('"', "")
    for m in re.finditer("→", bare):
        before = re.findall(r"[\w]+$", bare[: m.start()])
        after = re.findall(r"^[\w]+", bare[m.end() :])
        if before and after:
            found.append(f"{before[0][-3:]}→{after[0][:3]}")
    return list(dict.fromkeys(found))


def unsupported(text: Text, quotes: Sequence[Text]) -> List[Text]:
    """The claims of `text` that none of its quotes contains."""
    joined = normalise("\n".join(quotes))
    bare = joined.replace('"', "")
    missing = []
    for claim in claims(text):
        if claim.startswith("“"):
            ok = normalise(claim.strip("“”")) in joined
        elif "→" in claim:
            ok = claim in bare
        else:
            ok = normalise(claim) in joined
        if not ok:
            missing.append(claim)
    return missing


def occurs(quote: Text, document: Text) -> bool:
    """True when `quote` is in `document`, verbatim after normalising."""
    return normalise(quote) in normalise(document)


def missing_from(text: Text, words: Iterable[Text]) -> List[Text]:
    """The words (a → path compared without its quote marks) that `text` does not contain."""
    plain = normalise(text)
    bare = plain.replace('"', "")
    return [
        w
        for w in words
        if (normalise(w).replace('"', "") not in bare if "→" in w else normalise(w) not in plain)
    ]


def fact_words(fact: Dict[Text, Any]) -> List[Text]:
    """What an answer must contain to state a fact of data/knowledge/coverage.yml: its `words` and
    every number of its quote."""
    return list(fact["words"]) + [c for c in claims(fact["quote"]) if not c.startswith("“")]
