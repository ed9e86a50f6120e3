"""Every headline figure of a full `make bench` has a target to be judged by (bench/run.py); the
smoke run does not reach the sealed halves, and a missing target stopped a full run at its end."""

import pytest

from bench.run import LATER_SEALED_HALVES, TARGETS

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("set_name", [name for name, _ in LATER_SEALED_HALVES])
def test_each_later_sealed_half_has_both_targets(set_name):
    assert f"right answers, kinds a–h ({set_name} set's sealed half)" in TARGETS
    assert f"confident wrong answers, kinds i–j ({set_name} set's sealed half)" in TARGETS
