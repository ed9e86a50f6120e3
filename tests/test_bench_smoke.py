"""A fast run of the benchmark code (`python -m bench.run --smoke`): it must produce a complete
report and plots from a real server, with no failed reply."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def smoke_out(trained_model, tmp_path_factory) -> Path:
    """One smoke run for every test here: the folder with its report and plots."""
    out = tmp_path_factory.mktemp("bench")
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_bench_smoke_run_writes_a_complete_report(smoke_out):
    report = (smoke_out / "benchmarks.md").read_text(encoding="utf-8")
    for section in (
        "## Targets",
        "## Understanding",
        "## Understanding as students write",
        "## Speed",
        "## Speed targets",
        "## Open loop",
        "## Cost against conversation length",
        "## Where the time goes",
        "## Footprint",
    ):
        assert section in report
    assert re.search(r"\*\*right, kinds a–h\*\* \| \*\*\d+\.\d%\*\*", report), "the by-kind table"
    for plot in ("bench_confusion.png", "bench_latency.png", "bench_accuracy.png", "bench_length.png"):
        assert (smoke_out / plot).stat().st_size > 1000, plot
    assert "| this bot |" in report and "| TF-IDF char n-gram retriever |" in report
    failed = [int(n) for n in re.findall(r"^\| \d+ \| \d+ \| (\d+) \|", report, flags=re.M)]
    assert failed and not any(failed), "every reply of the load must succeed"
    stored = re.search(r"found in the SQLite tracker store afterwards: (\d+)/(\d+)", report)
    assert stored and int(stored[2]) > 0 and stored[1] == stored[2], "every answered message stored"


def section(report: str, title: str) -> str:
    return report.split(title, 1)[1].split("\n## ", 1)[0]


def test_bench_smoke_run_measures_open_loop_length_and_profile(smoke_out):
    """Issue 19's parts in the smoke run: the low open-loop rate without a failed reply, every length
    point with a latency and a tracker that grows, a profile (or why there is none), the targets."""
    report = (smoke_out / "benchmarks.md").read_text(encoding="utf-8")
    rates = re.findall(
        r"^\| (\d+) \| (\d+) \| (\d+) \| \d+ \| \d+ \| \d+ \| [\d.]+ \| (yes|no) \|$",
        section(report, "## Open loop"),
        flags=re.M,
    )
    assert rates and all(int(messages) >= 30 and failed == "0" for _, messages, failed, _ in rates), rates
    points = re.findall(
        r"^\| (\d+) \| (\d+) \| [\d.]+ \| (\d+) \| ([\d.]+) \| \d+ \|$",  # then the latest session's events
        section(report, "## Cost against conversation length"),
        flags=re.M,
    )
    assert [int(p[0]) for p in points] == [1, 10, 20], points
    assert all(int(latency) > 0 for _, latency, _, _ in points)
    events = [int(p[2]) for p in points]
    sizes = [float(p[3]) for p in points]
    assert events == sorted(set(events)) and sizes == sorted(set(sizes)), "the tracker grows"
    profile = section(report, "## Where the time goes")
    assert "| Rasa server | **all** |" in profile or "No profile:" in profile
    targets = section(report, "## Speed targets")
    for name in (
        "p50, one conversation alone",
        "capacity",
        "message 200",
        "cold start",
        "RSS of the Rasa server",
    ):
        assert f"| {name}" in targets, name
