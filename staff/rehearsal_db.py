"""Where rehearsal results are kept: one row per graded answer in an SQLite file.

Written by the action server (actions/rehearsal.py), read by staff/rehearsal_report.py. Plain
sqlite3, no Rasa import. A row holds who (the trainee's name or staff number, redacted), which
rehearsal and scenario, the score and the missed points (texts from the knowledge): never the
trainee's answer itself.
"""

import json
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text

DEFAULT_DB = Path(__file__).resolve().parent.parent / "var" / "rehearsal.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS rehearsal_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trainee TEXT NOT NULL,
    session TEXT NOT NULL,
    scenario TEXT NOT NULL,
    topic TEXT NOT NULL,
    score INTEGER NOT NULL,
    missed TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""
COLUMNS = ("trainee", "session", "scenario", "topic", "score", "missed", "created_at")


def db_path() -> Path:
    """var/rehearsal.db, or the file named by REHEARSAL_DB."""
    return Path(os.environ.get("REHEARSAL_DB") or DEFAULT_DB)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), timeout=10)
    connection.execute(SCHEMA)
    return connection


def record(
    trainee: Text,
    session: Text,
    scenario: Text,
    topic: Text,
    score: int,
    missed: Sequence[Text],
    path: Optional[Path] = None,
) -> None:
    with _connect(path or db_path()) as connection:
        connection.execute(
            f"INSERT INTO rehearsal_results ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                trainee,
                session,
                scenario,
                topic,
                int(score),
                json.dumps(list(missed), ensure_ascii=False),
                datetime.now(timezone.utc).isoformat(timespec="seconds"),
            ),
        )
    connection.close()


def read_all(path: Optional[Path] = None) -> List[Dict[Text, Any]]:
    """Every result, oldest first, with `missed` as a list."""
    path = path or db_path()
    if not path.exists():
        return []
    connection = _connect(path)
    try:
        rows = connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM rehearsal_results ORDER BY created_at, id"
        ).fetchall()
    finally:
        connection.close()
    results = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    for result in results:
        result["missed"] = json.loads(result["missed"])
    return results
