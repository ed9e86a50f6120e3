"""`make knowledge-report`: what the bot says beside the sentences of the documents it rests on.

For the school's content owner, who signs off the bot's knowledge: every topic's answer, text by
text in the order the bot says it, beside its quote from the document (knowledge/provenance.py);
then every other text (hints, checks, beliefs, rehearsal reminders, messages that state a fact);
the places where a document contradicts itself and how the answers deal with it; and the checklist
of the documents' facts (data/knowledge/coverage.yml) with the topic that states each.

A row is flagged where its text states a number, duration or menu name its quote does not contain,
where its quote is not in the document (checked when the documents are at ../shared/seeds), or
where the bot's own guidance states one. One self-contained HTML page (no script, no CDN). Its
labels are in data/knowledge/coverage.yml (`report`).

    python -m staff.knowledge_report [--out reports/knowledge.html] [--seeds ../shared/seeds]
"""

import argparse
import html
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text

import yaml

from knowledge.loader import Knowledge, knowledge_dir, load_knowledge
from knowledge.provenance import Provenance, claims, fact_words, missing_from, occurs, unsupported
from knowledge.render import render_answer

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"

STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:80em;line-height:1.5}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}"
    "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}td.text{width:45%}td.quote{width:40%;color:#333}"
    "blockquote{margin:0 0 .3em;padding-left:.5em;border-left:3px solid #90caf9}"
    "tr.flagged td{background:#fff3e0}tr.guidance td.text{color:#555;font-style:italic}"
    "mark{background:#ffcc80}.ok{color:#2e7d32}.bad{color:#c62828;font-weight:bold}"
    "nav a{margin-right:1em}.summary td{width:auto}"
)


def read_documents(knowledge: Knowledge, seeds: Path) -> Optional[Dict[Text, Text]]:
    if not seeds.is_dir():
        return None
    return {
        sid: (seeds / s["seed"]).read_text(encoding="utf-8")
        for sid, s in knowledge.sources.items()
        if (seeds / s["seed"]).is_file()
    }


def read_coverage() -> Dict[Text, Any]:
    return yaml.safe_load((knowledge_dir() / "coverage.yml").read_text(encoding="utf-8"))


def problems(text: Provenance, documents: Optional[Dict[Text, Text]], labels: Dict[Text, Text]) -> List[Text]:
    """What is wrong with one text, in the content owner's words (empty: nothing)."""
    if text.guidance:
        found = claims(text.text)
        return [labels["guidance_claims"].format(claims="、".join(found))] if found else []
    found = []
    missing = unsupported(text.text, text.quotes)
    if missing:
        found.append(labels["not_in_quote"].format(claims="、".join(missing)))
    if documents is not None:
        if text.source not in documents:
            found.append(labels["no_document"])
        else:
            lost = [q for q in text.quotes if not occurs(q, documents[text.source])]
            if lost:
                found.append(labels["quote_not_found"].format(quotes="；".join(lost)))
    return found


def marked(text: Provenance) -> Text:
    """The text, HTML-escaped, with what its quote does not contain highlighted."""
    out = html.escape(text.text)
    for claim in [] if text.guidance else unsupported(text.text, text.quotes):
        escaped = html.escape(claim)
        if escaped in out:
            out = out.replace(escaped, f"<mark>{escaped}</mark>")
    return out


class Report:
    def __init__(
        self, knowledge: Knowledge, documents: Optional[Dict[Text, Text]], coverage: Dict[Text, Any]
    ) -> None:
        self.knowledge = knowledge
        self.documents = documents
        self.coverage = coverage
        self.labels = coverage["report"]
        self.flagged = 0

    def row(self, text: Provenance) -> Text:
        labels = self.labels
        found = problems(text, self.documents, labels)
        self.flagged += bool(found)
        if text.guidance:
            quote = f"<em>{html.escape(labels['guidance'])}</em>"
        else:
            title = self.knowledge.sources[text.source]["title"]
            quote = (
                "".join(f"<blockquote>{html.escape(q)}</blockquote>" for q in text.quotes)
                + f"<small>《{html.escape(title)}》</small>"
            )
        check = (
            "<br>".join(f'<span class="bad">⚠️ {html.escape(p)}</span>' for p in found)
            or f'<span class="ok">✓ {html.escape(labels["ok"])}</span>'
        )
        classes = " ".join(c for c, on in (("flagged", found), ("guidance", text.guidance)) if on)
        return (
            f'<tr class="{classes}" data-key="{html.escape(text.key)}"><td class="text">{marked(text)}'
            f'<br><small>{html.escape(text.key)}</small></td><td class="quote">{quote}</td>'
            f"<td>{check}</td></tr>"
        )

    def table(self, texts: Sequence[Provenance]) -> Text:
        labels = self.labels
        head = "".join(
            f"<th>{html.escape(labels[c])}</th>" for c in ("column_text", "column_quote", "column_check")
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(self.row(t) for t in texts)}</tbody></table>"

    def build(self) -> Text:
        knowledge, labels = self.knowledge, self.labels
        shown = set()
        topics = []
        for topic_id, topic in knowledge.topics.items():
            texts = knowledge.topic_texts(topic_id)
            shown.update(t.key for t in texts)
            topics.append(
                f'<section class="topic" id="{html.escape(topic_id)}"><h3>{html.escape(topic["title"])} '
                f"<small>({html.escape(topic_id)})</small></h3>{self.table(texts)}</section>"
            )
        others = [t for t in knowledge.texts.values() if t.key not in shown]
        other_table = self.table(others)

        conflicts = []
        for conflict in self.coverage["contradictions"]:
            quotes = "".join(f"<blockquote>{html.escape(q)}</blockquote>" for q in conflict["quotes"])
            where = "、".join(
                f'<a href="#{html.escape(t)}">{html.escape(knowledge.topics[t]["title"])}</a>'
                for t in conflict["topics"]
            )
            conflicts.append(
                f"<tr><td>{html.escape(conflict['about'])}</td><td>{quotes}</td><td>{where}</td></tr>"
            )

        facts, unstated = [], 0
        for fact in self.coverage["facts"]:
            rendered = render_answer(knowledge, fact["topic"]) if fact["topic"] in knowledge.topics else ""
            stated = not missing_from(rendered, fact_words(fact))
            unstated += not stated
            mark = (
                '<span class="ok">✓</span>'
                if stated
                else f'<span class="bad">⚠️ {html.escape(labels["fact_missing"])}</span>'
            )
            title = knowledge.topics.get(fact["topic"], {}).get("title", fact["topic"])
            facts.append(
                f'<tr class="{"" if stated else "flagged"}"><td>{html.escape(fact["fact"])}</td>'
                f"<td><blockquote>{html.escape(fact['quote'])}</blockquote></td>"
                f'<td><a href="#{html.escape(fact["topic"])}">{html.escape(title)}</a> {mark}</td></tr>'
            )

        documents = []
        for sid, source in knowledge.sources.items():
            state = (
                labels["document_missing"]
                if not self.documents or sid not in self.documents
                else labels["document_checked"]
            )
            documents.append(
                f"<li>《{html.escape(source['title'])}》（{html.escape(str(source['published']))}）"
                f"：{html.escape(state)}</li>"
            )
        texts = list(knowledge.texts.values())
        summary = labels["summary"].format(
            quoted=sum(not t.guidance for t in texts),
            guidance=sum(t.guidance for t in texts),
            flagged=self.flagged,
            facts=len(self.coverage["facts"]),
            unstated=unstated,
            conflicts=len(self.coverage["contradictions"]),
        )
        nav = "".join(
            f'<a href="#{html.escape(tid)}">{html.escape(t["title"])}</a>'
            for tid, t in knowledge.topics.items()
        )
        body = [
            f"<h1>{html.escape(labels['title'])}</h1>",
            f"<p>{html.escape(labels['generated'].format(time=datetime.now().strftime('%Y-%m-%d %H:%M')))}</p>",
            f"<p>{html.escape(labels['intro'])}</p>",
            f"<ul>{''.join(documents)}</ul>",
            f'<p id="summary" data-flagged="{self.flagged}" data-unstated="{unstated}">{html.escape(summary)}</p>',
            f"<h2>{html.escape(labels['topics'])}</h2><nav>{nav}</nav>",
            *topics,
            f'<h2 id="others">{html.escape(labels["others"])}</h2>',
            other_table,
            f'<h2 id="contradictions">{html.escape(labels["contradictions"])}</h2>',
            f"<table><thead><tr><th>{html.escape(labels['column_about'])}</th><th>{html.escape(labels['column_quote'])}</th>"
            f"<th>{html.escape(labels['column_topics'])}</th></tr></thead><tbody>{''.join(conflicts)}</tbody></table>",
            f'<h2 id="facts">{html.escape(labels["facts"])}</h2>',
            f"<table><thead><tr><th>{html.escape(labels['column_fact'])}</th><th>{html.escape(labels['column_quote'])}</th>"
            f"<th>{html.escape(labels['column_topic'])}</th></tr></thead><tbody>{''.join(facts)}</tbody></table>",
        ]
        return (
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html.escape(labels['title'])}</title><style>{STYLE}</style></head><body>"
            + "\n".join(body)
            + "</body></html>\n"
        )


def write(
    knowledge: Knowledge, documents: Optional[Dict[Text, Text]], coverage: Dict[Text, Any], out: Path
) -> Report:
    report = Report(knowledge, documents, coverage)
    page = report.build()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return report


def main(argv: Sequence[Text] = ()) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports") / "knowledge.html")
    parser.add_argument(
        "--seeds", type=Path, default=SEEDS, help="the source documents (default: ../shared/seeds)"
    )
    args = parser.parse_args(list(argv) or None)
    knowledge = load_knowledge()
    documents = read_documents(knowledge, args.seeds)
    report = write(knowledge, documents, read_coverage(), args.out)
    checked = "documents checked" if documents else "documents not found: quotes not checked against them"
    print(f"{len(knowledge.texts)} texts, {report.flagged} flagged ({checked}) -> {args.out}")


if __name__ == "__main__":
    main()
