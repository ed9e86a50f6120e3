"""data/vocabulary.yml, the one place of the bot's words: read here, and the files made from it written.

Read by the NLU normaliser (its typos), the misconception recogniser and the grader (their word
classes and the jieba dictionary), the walkthrough and the answers (which id of a kind wins), and
the reports. Imports no Rasa.

`python -m knowledge.vocabulary` (`make data`) writes what Rasa reads as training data and jieba
as its user dictionary: data/nlu/vocabulary.yml and data/dict/userdict.txt. `--check` only says
which of them are stale.
"""

import argparse
import functools
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text

import yaml

# The kinds of things a message names: each a lookup table, its ids synonyms (and an NLU entity).
KINDS = ("platform", "device", "account", "goal")
# A lookup table whose words have no ids (platforms the bot does not cover).
UNMAPPED_KINDS = ("other_platform",)
WORD_CLASS_SECTIONS = ("recogniser", "grading")
NLU_FILE = Path("nlu") / "vocabulary.yml"
DICTIONARY_FILE = Path("dict") / "userdict.txt"
GENERATED_HEADER = (
    "# Generated from data/vocabulary.yml by `make data` — do not edit; edit data/vocabulary.yml.\n"
)


def data_dir() -> Path:
    """The data/ folder: the one holding the knowledge (KNOWLEDGE_DIR, for a copy of data/)."""
    from knowledge.loader import knowledge_dir  # the loader reads the vocabulary's priorities

    return knowledge_dir().parent


class Vocabulary:
    def __init__(self, raw: Dict[Text, Any]) -> None:
        self.raw = raw
        # What the normaliser rewrites: habitual typos and other platforms' English names.
        self.typos: Dict[Text, Text] = {**(raw.get("typos") or {}), **(raw.get("english_names") or {})}
        self.dictionary: Dict[Text, Text] = {
            w: str(entry) for w, entry in (raw.get("dictionary") or {}).items()
        }
        self.classes: Dict[Text, Dict[Text, List[Text]]] = {
            section: {name: self._resolve(section, name, []) for name in raw.get(section) or {}}
            for section in WORD_CLASS_SECTIONS
        }

    # ---- kinds and their ids ----
    def ids(self, kind: Text) -> List[Text]:
        """The ids of a kind in priority order (most specific first)."""
        return list(self.raw[kind])

    def words(self, kind: Text, id_: Optional[Text] = None) -> List[Text]:
        """The words of one id, or of a whole kind (every id's, in priority order)."""
        entries = self.raw[kind]
        if isinstance(entries, list):
            return list(entries)
        return list(entries[id_]) if id_ else [w for ws in entries.values() for w in ws]

    def most_specific(self, kind: Text, values: Iterable[Any]) -> Optional[Text]:
        """Of the ids named in `values`, the one first in the vocabulary's order; None when none is."""
        named = set(v for v in values if isinstance(v, str))
        return next((id_ for id_ in self.ids(kind) if id_ in named), None)

    # ---- word classes ----
    def _resolve(self, section: Text, name: Text, seen: List[Text]) -> List[Text]:
        """A class's words: those of what it includes ("goal.logout", "grading.密码"), then its own."""
        if f"{section}.{name}" in seen:
            raise ValueError(f"data/vocabulary.yml: {' -> '.join(seen)} includes itself")
        entry = self.raw[section][name]
        if isinstance(entry, list):
            return [str(w) for w in entry]
        words: List[Text] = []
        for reference in entry.get("includes", []):
            where, _, what = reference.partition(".")
            if where in WORD_CLASS_SECTIONS:
                included = self._resolve(where, what, [*seen, f"{section}.{name}"])
            elif where in KINDS:
                included = self.words(where, what)
            else:
                raise ValueError(f"data/vocabulary.yml: {section}.{name} includes unknown {reference!r}")
            words += included
        words += [str(w) for w in entry.get("words", [])]
        return list(dict.fromkeys(words))

    def add_to_jieba(self, tokenizer: Any) -> None:
        """The dictionary's words, as jieba.load_userdict(data/dict/userdict.txt) would add them."""
        for word, entry in self.dictionary.items():
            frequency, _, tag = entry.partition(" ")
            tokenizer.add_word(word, freq=int(frequency), tag=tag or None)


def vocabulary_path(data: Optional[Path] = None) -> Path:
    return (data or data_dir()) / "vocabulary.yml"


def read_vocabulary(path: Path) -> Vocabulary:
    return Vocabulary(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """data/vocabulary.yml (beside KNOWLEDGE_DIR's folder), read once per process."""
    return read_vocabulary(vocabulary_path())


# ---- the generated files ----
def _lookup(name: Text, words: Sequence[Text]) -> Text:
    # Longest first: the extractor's pattern takes the first entry that matches at a position, and a
    # longer word ("退出登录", "公共电脑") must win over the shorter one inside it.
    ordered = sorted(dict.fromkeys(words), key=len, reverse=True)
    return f"- lookup: {name}\n  examples: |\n" + "".join(f"    - {w}\n" for w in ordered)


def _synonym(id_: Text, words: Sequence[Text]) -> Text:
    return f"- synonym: {id_}\n  examples: |\n" + "".join(f"    - {w}\n" for w in dict.fromkeys(words))


def nlu_file(vocabulary: Vocabulary) -> Text:
    parts = [
        GENERATED_HEADER,
        "# Lookup tables (RegexEntityExtractor, RegexFeaturizer) and synonyms (EntitySynonymMapper): every\n"
        "# word of a kind is found in a message and mapped to its id.\n",
        'version: "3.1"\nnlu:\n',
    ]
    for kind in KINDS:
        parts.append(_lookup(kind, vocabulary.words(kind)) + "\n")
        parts += [_synonym(id_, vocabulary.words(kind, id_)) + "\n" for id_ in vocabulary.ids(kind)]
    for kind in UNMAPPED_KINDS:
        parts.append(_lookup(kind, vocabulary.words(kind)) + "\n")
    return "".join(parts).rstrip("\n") + "\n"


def dictionary_file(vocabulary: Vocabulary) -> Text:
    # No header: jieba would read a comment line as a word.
    return "".join(f"{word} {entry}\n" for word, entry in vocabulary.dictionary.items())


def generated_files(vocabulary: Vocabulary) -> Dict[Path, Text]:
    """Path under data/ -> its content."""
    return {NLU_FILE: nlu_file(vocabulary), DICTIONARY_FILE: dictionary_file(vocabulary)}


def stale_files(data: Path) -> List[Path]:
    """The generated files under `data` that differ from what its vocabulary.yml generates."""
    files = generated_files(read_vocabulary(vocabulary_path(data)))
    return [
        path
        for path, text in files.items()
        if not (data / path).exists() or (data / path).read_text(encoding="utf-8") != text
    ]


def write_files(data: Path) -> List[Path]:
    """Writes the generated files under `data`; returns those that changed."""
    changed = stale_files(data)
    for path, text in generated_files(read_vocabulary(vocabulary_path(data))).items():
        if path in changed:
            (data / path).parent.mkdir(parents=True, exist_ok=True)
            (data / path).write_text(text, encoding="utf-8")
    return changed


def main(argv: Optional[Sequence[Text]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="the data folder (default: the project's)")
    parser.add_argument("--check", action="store_true", help="only list stale files; exit 1 if any")
    args = parser.parse_args(argv)
    data = args.data or data_dir()
    changed = stale_files(data) if args.check else write_files(data)
    for path in changed:
        print(f"{'stale' if args.check else 'written'}: {data / path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
