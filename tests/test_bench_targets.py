"""Every headline figure of a full `make bench` has a target to be judged by (bench/run.py); the
smoke run does not reach the sealed halves, and a missing target stopped a full run at its end."""

import pytest

from bench.run import LATER_SEALED_HALVES, TARGETS

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("set_name", [name for name, _ in LATER_SEALED_HALVES])
def test_each_later_sealed_half_has_both_targets(set_name):
    assert f"right answers, kinds a–h ({set_name} set's sealed half)" in TARGETS
    assert f"confident wrong answers, kinds i–j ({set_name} set's sealed half)" in TARGETS


def test_a_partial_stack_is_not_counted_as_the_web_servers():
    """bench/profile.py: a py-spy sample that does not reach the process's entry point names no
    stage; it is counted apart, and a whole stack with no stage's function is the web server's."""
    from bench.profile import PARTIAL, rasa_stages

    entry = ("_run_module_as_main", "/usr/lib/python3.10/runpy.py", 196)
    sanic = ("handle_request", "handle_request", 83)
    sql = ("_gen_cache_key", "site-packages/sqlalchemy/sql/traversals.py", 284)
    counts = rasa_stages({(entry, sanic): 3, (sql, sql): 2})
    assert counts == {"REST channel, web server, event loop": 3, PARTIAL: 2}
