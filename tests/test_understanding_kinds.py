"""The development halves of the held-out messages by kind (tests/understanding/dev.yml, and the
second to nineteenth sets' set2-dev.yml … set19-dev.yml, issue 13), sent to the real bot over REST and read back as the topic each
reply answers (bench/kinds.py). The sealed halves are measured only by `make bench`. The mistakes,
grouped by confused pair, are written to tests/artifacts/understanding-<half>-mistakes.md for
reading."""

import pytest

from bench.kinds import ANSWERABLE_KINDS, SETS, mistakes_markdown, run_set, summary, summary_table
from harness.bot import ARTIFACTS

pytestmark = pytest.mark.e2e

# Floors that catch a regression, a little under what each half measures now (a–h right, the lowest
# kind, confident wrong on i–j). dev: first run 69.7% and 17.1% confident wrong; now 93.9%, 86%, 0.0%.
# set2-dev (a second author's): first run 77.9% and 0.0%; now 95.3%, 86%, 0.0%. set3-dev (a third
# author's, read once): first run 85.8%, 61%, 2.8%; now 93.8%, 89%, 0.0%. set4-dev (a fourth
# author's, read once): first run 87.5%, 72%, 5.6%; now 95.6%, 89%, 2.8%. set5-dev (a fifth
# author's, read once): first run 91.9%, 78%, 2.8%; now 99.4%, 94%, 0.0%. set6-dev (a sixth
# author's, read once): first run 87.7%, 78%, 5.6%; now 94.4%, 89%, 2.8%. set7-dev (a seventh
# author's, read once): first run 95.1%, 78%, 2.8%; now 100%, 100%, 0.0%. set8-dev (an eighth
# author's, read once): first run 93.9%, 89%, 11.1%; now 100%, 100%, 0.0%. set9-dev (a ninth
# author's, read once): first run 92.8%, 88%, 13.9%; now 97.6%, 94%, 0.0%. set10-dev (a tenth
# author's, read once): first run 96.3%, 94%, 5.6%; now 98.1%, 94%, 0.0%. set11-dev (an eleventh
# author's, read once): first run 95.2%, 83%, 5.6%; now 98.8%, 94%, 0.0%. set12-dev (a twelfth
# author's, read once): first run 95.1%, 78%, 5.6%; now 96.9%, 89%, 0.0%. set13-dev (a thirteenth
# author's, read once, 30 messages each of kinds i and j): first run 94.5%, 89%, 6.7%; now 95.2%, 89%, 1.7%. set14-dev (a fourteenth author's, read
# once, as the thirteenth's): first run 93.8%, 83%, 6.7%; now 95.7%, 92%, 1.7%. set15-dev (a fifteenth
# author's, read once, as the thirteenth's): first run 94.6%, 83%, 5.0%; now 97.0%, 94%, 0.0%. set16-dev (a
# sixteenth author's, read once, as the thirteenth's): first run 96.3%, 89%, 6.7%; now 96.9%, 94%, 1.7%. set17-dev (a
# seventeenth author's, read once, as the thirteenth's): first run 96.9%, 89%, 1.7%; now 98.8%, 94%, 0.0%. set18-dev (an
# eighteenth author's, read once, as the thirteenth's): first run 95.0%, 83%, 3.3%; now 96.9%, 83%, 1.7%.
# set19-dev (a nineteenth author's, measured once at the end of stop 35 and not read): 97.5%, 89%, 3.3%.
# Targets and the sealed halves' figures: docs/benchmarks.md and bench/analysis.md.
FLOORS = {
    "dev": (0.90, 0.75),
    "set2-dev": (0.90, 0.75),
    "set3-dev": (0.88, 0.75),
    "set4-dev": (0.90, 0.75),
    "set5-dev": (0.93, 0.80),
    "set6-dev": (0.91, 0.80),
    "set7-dev": (0.93, 0.80),
    "set8-dev": (0.94, 0.83),
    "set9-dev": (0.94, 0.83),
    "set10-dev": (0.94, 0.83),
    "set11-dev": (0.90, 0.83),
    "set12-dev": (0.93, 0.83),
    "set13-dev": (0.92, 0.83),
    "set14-dev": (0.91, 0.77),
    "set15-dev": (0.93, 0.83),
    "set16-dev": (0.93, 0.83),
    "set17-dev": (0.93, 0.83),
    "set18-dev": (0.93, 0.83),
    "set19-dev": (0.93, 0.83),
}
MAX_CONFIDENT_WRONG_I_J = 0.04


@pytest.mark.parametrize("half", sorted(FLOORS))
def test_development_half_by_kind(webhook, half):
    outcomes = run_set(webhook, SETS / f"{half}.yml")
    result = summary(outcomes)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"understanding-{half}-mistakes.md").write_text(
        summary_table({half: result}) + "\n\n" + mistakes_markdown(f"Mistakes on {half}", outcomes),
        encoding="utf-8",
    )
    min_right_a_to_h, min_right_per_kind = FLOORS[half]
    assert result["right_a_to_h"] >= min_right_a_to_h, result
    for kind in ANSWERABLE_KINDS:
        assert result["per_kind"][kind][0] >= min_right_per_kind, (kind, result)
    assert result["confident_wrong_i_j"] <= MAX_CONFIDENT_WRONG_I_J, result
