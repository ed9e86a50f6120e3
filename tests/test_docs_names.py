"""What README.md and docs/*.md name exists (issue 17): every `make <target>` is a target of the
Makefile, every repository path in backticks or links is in the repository, every environment
variable is read by the code or by the Makefile, scripts and deploy files; the README fits a
newcomer (at most 200 lines) and links every docs page.

docs/benchmarks.md (`make bench`) and docs/transcripts/ (`make transcripts`) are generated: they
are not checked here, since the fix for them is a run of their generator, not an edit.
"""

import functools
import os
import re
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
README_MAX_LINES = 200
GENERATED = {"docs/benchmarks.md"}
# What the tools write (not in git): a page may name a file in these before it exists.
OUTPUT_FOLDERS = (
    ".venv/",
    "models/",
    "var/",
    "reports/",
    "results/",
    "tests/artifacts/",
    "web/dist/",
    "node_modules/",
)
# Read by Rasa itself, not by this project's code (the Makefile and harness/cluster.py set them).
RASA_VARIABLES = {"TICKET_LOCK_LIFETIME", "RASA_TELEMETRY_ENABLED"}
# Where a variable counts as read: the code, the Makefile, the scripts and the deploy files.
READERS = ("actions", "knowledge", "channels", "server", "stores", "privacy", "nlu_components", "staff")
READER_FILES = ("Makefile", "credentials.yml", "endpoints.yml")
READER_FOLDERS = ("scripts", "deploy", "harness", "bench")

PATH_EXTENSIONS = "py|yml|yaml|md|txt|js|css|html|json|sh|template|toml|ini|tar\\.gz|db|key|csv|log|png|lock"
LOOKS_LIKE_PATH = re.compile(rf"^(\./)?[\w.*@-]+(/[\w.*@-]*)*(\.({PATH_EXTENSIONS})|/)$")
VARIABLE = re.compile(r"^\$?\{?([A-Z][A-Z0-9_]*_\*|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z][A-Z0-9_]*(?==))")


def pages() -> Dict[str, str]:
    """README.md and the hand-written docs pages, by path relative to the repository."""
    found = {"README.md": (ROOT / "README.md").read_text(encoding="utf-8")}
    for page in sorted((ROOT / "docs").glob("*.md")):
        name = page.relative_to(ROOT).as_posix()
        if name not in GENERATED:
            found[name] = page.read_text(encoding="utf-8")
    return found


def code_spans(text: str) -> List[str]:
    """The text of fenced code blocks and of inline `code`."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M))
    return blocks + inline


def links(text: str) -> List[str]:
    """Markdown link targets outside code (`[职教云](platform)` in code is an entity annotation)."""
    prose = re.sub(r"`[^`\n]+`", "", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M))
    return re.findall(r"\]\(([^)\s]+)\)", prose)


def table_rows(text: str) -> List[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def make_targets() -> Set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))


def named_targets(text: str) -> Set[str]:
    return {target for span in code_spans(text) for target in re.findall(r"\bmake ([a-z][\w-]*)", span)}


def named_paths(page: str, text: str) -> Set[Tuple[str, Path]]:
    """(as written, where it points): words in code that look like paths are relative to the
    repository; link targets are relative to the page."""
    found = set()
    for span in code_spans(text):
        for word in re.split(r"[\s=,;()\[\]'\"]+", span):
            word = word.rstrip(".")
            if "://" in word or word.startswith(("../", "-", "$", "~")) or not LOOKS_LIKE_PATH.match(word):
                continue
            found.add((word, ROOT / word))
    for target in links(text):
        target = target.split("#")[0]
        if target and "://" not in target and not target.startswith("mailto:"):
            found.add((target, (ROOT / page).parent / target))
    return found


def exists(word: str, where: Path) -> bool:
    relative = where.resolve().relative_to(ROOT).as_posix() if where.resolve().is_relative_to(ROOT) else None
    if relative is None:
        return False
    if relative.startswith(OUTPUT_FOLDERS) or (relative + "/").startswith(OUTPUT_FOLDERS):
        return True
    if "/" not in word.rstrip("/"):
        # A bare file name ("widget.js" in a row about web/src/): some file of the repository has it.
        return word.rstrip("/") in repository_names()
    if "*" in relative:
        return any(ROOT.glob(relative))
    return where.exists()


@functools.lru_cache(maxsize=1)
def repository_names() -> Set[str]:
    names = set()
    for _folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in {".git", ".venv", "node_modules"}]
        names.update(files)
        names.update(subfolders)
    return names


def named_variables(text: str) -> Set[str]:
    """UPPER_CASE names in code spans or in table rows (NAME=… counts too)."""
    words = [word for span in code_spans(text) for word in re.split(r"[\s`,;()]+", span)]
    words += [word for row in table_rows(text) for word in re.split(r"[\s`,;()|]+", row)]
    found = set()
    for word in words:
        match = VARIABLE.match(word)
        if match and (match.group(1).endswith("*") or "_" in match.group(1) or "=" in word):
            found.add(match.group(1))
    return found


def reader_texts() -> str:
    files = [ROOT / name for name in READER_FILES]
    for folder in READERS:
        files += sorted((ROOT / folder).rglob("*.py"))
    for folder in READER_FOLDERS:
        files += sorted(path for path in (ROOT / folder).rglob("*") if path.is_file())
    return "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in files)


def is_read(name: str, code: str) -> bool:
    if name in RASA_VARIABLES:
        return True
    if name.endswith("*"):
        return re.search(rf"[\"'{{(]{re.escape(name[:-1])}[A-Z0-9_]+", code) is not None
    # Quoted in Python ("NAME"), ${NAME} / $(NAME) / $NAME in the Makefile, scripts and deploy files.
    return re.search(rf"[\"']{name}[\"']|\$[{{(]?{name}\b", code) is not None


def report(problems: Dict[str, List[str]]) -> str:
    return "\n".join(f"{page}: {item}" for page, items in problems.items() for item in items)


def test_every_make_target_named_exists():
    targets = make_targets()
    problems = {
        page: [f"`make {t}` is not a target of the Makefile" for t in sorted(named_targets(text) - targets)]
        for page, text in pages().items()
    }
    problems = {page: items for page, items in problems.items() if items}
    assert not problems, "\n" + report(problems)


def test_every_path_named_exists():
    problems = {}
    for page, text in pages().items():
        missing = sorted(word for word, where in named_paths(page, text) if not exists(word, where))
        if missing:
            problems[page] = [f"{word} does not exist" for word in missing]
    assert not problems, "\n" + report(problems)


def test_every_environment_variable_named_is_read():
    code = reader_texts()
    problems = {}
    for page, text in pages().items():
        unread = sorted(name for name in named_variables(text) if not is_read(name, code))
        if unread:
            problems[page] = [
                f"{name} is read nowhere in the code, Makefile, scripts or deploy files" for name in unread
            ]
    assert not problems, "\n" + report(problems)


def test_the_readme_fits_a_newcomer():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines, at most {README_MAX_LINES}: move detail to docs/"
    )


def test_the_readme_links_every_docs_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {(ROOT / target.split("#")[0]).resolve() for target in links(readme)}
    unlinked = [
        p.relative_to(ROOT).as_posix()
        for p in sorted((ROOT / "docs").glob("*.md"))
        if p.resolve() not in linked
    ]
    assert not unlinked, f"README.md links none of: {', '.join(unlinked)}"


def test_the_readmes_conversation_is_copied_from_a_transcript():
    """The excerpt is the bot's words as `make transcripts` last recorded them, not a hand copy."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A real conversation") :]
    section = section[: section.index("\n## ")]
    lines = section.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("**学生：**"))
    last = max(i for i, line in enumerate(lines) if line.startswith("> "))
    excerpt = "\n".join(lines[first : last + 1])
    source = next(target for target in links(section) if target.startswith("docs/transcripts/conversations"))
    transcript = (ROOT / source).read_text(encoding="utf-8")
    assert 5 <= last + 1 - first <= 12, "the excerpt should be 5 to 10 lines"
    assert excerpt in transcript, f"README.md's conversation is not verbatim in {source}: copy it again"


def test_the_checks_see_what_they_check():
    """The extractors find names in the forms the pages use (else every check above passes vacuously)."""
    sample = (
        "Run `make run` or\n```sh\nmake rehearse TRAINEE=张老师\n```\n"
        "| where | `data/knowledge/` and `actions/answer.py` | `HELPDESK_RATE_LIMIT` |\n"
        "See [the widget](docs/widget.md) and `WECHAT_*`; `DB_HOST=… make run`.\n"
    )
    assert named_targets(sample) == {"run", "rehearse"}
    assert {word for word, _ in named_paths("README.md", sample)} == {
        "data/knowledge/",
        "actions/answer.py",
        "docs/widget.md",
    }
    assert named_variables(sample) == {"TRAINEE", "HELPDESK_RATE_LIMIT", "WECHAT_*", "DB_HOST"}
