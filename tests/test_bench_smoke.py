"""A fast run of the benchmark code (`python -m bench.run --smoke`): it must produce a complete
report and plots from a real server, with no failed reply."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent


def test_bench_smoke_run_writes_a_complete_report(trained_model, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    for section in (
        "## Targets",
        "## Understanding",
        "## Understanding as students write",
        "## Speed",
        "## Footprint",
    ):
        assert section in report
    assert re.search(r"\*\*right, kinds a–h\*\* \| \*\*\d+\.\d%\*\*", report), "the by-kind table"
    for plot in ("bench_confusion.png", "bench_latency.png", "bench_accuracy.png"):
        assert (tmp_path / plot).stat().st_size > 1000, plot
    assert "| this bot |" in report and "| TF-IDF char n-gram retriever |" in report
    failed = [int(n) for n in re.findall(r"^\| \d+ \| \d+ \| (\d+) \|", report, flags=re.M)]
    assert failed and not any(failed), "every reply of the load must succeed"
    stored = re.search(r"found in the SQLite tracker store afterwards: (\d+)/(\d+)", report)
    assert stored and int(stored[2]) > 0 and stored[1] == stored[2], "every answered message stored"
