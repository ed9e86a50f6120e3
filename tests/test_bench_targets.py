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


@pytest.mark.parametrize(
    "kind, expected, got, right, confidently_wrong",
    [
        # A closing "谢谢" in a conversation, or a non-question, answered with thanks: right.
        ("h", "out_of_scope", ["small_talk"], True, False),
        ("j", "out_of_scope", ["small_talk"], True, False),
        # A near miss answered with small talk was not answered honestly, nor with a topic.
        ("i", "out_of_scope", ["small_talk"], False, False),
        # A topic's answer where only a refusal was right: the worst outcome.
        ("j", "out_of_scope", ["icve_logout_app"], False, True),
        ("i", "request_cheating", ["out_of_scope"], True, False),
    ],
)
def test_how_a_reply_is_scored(kind, expected, got, right, confidently_wrong):
    from bench.kinds import Outcome

    outcome = Outcome(kind, "…", expected, got, [expected])
    assert outcome.right is right
    assert outcome.confidently_wrong is confidently_wrong


@pytest.mark.parametrize(
    "procedure, topic",
    [
        ("icve_logout_app", "icve_logout_app"),
        ("icve_deregister_sub", "icve_sub_account"),
        ("icve_unbind", "icve_third_party_unbind"),
    ],
)
def test_a_walkthrough_started_reads_as_its_procedures_topic(procedure, topic):
    """ "一步步告诉我在哪点" gets the procedure step by step: the walkthrough's opening message is read
    as the topic whose procedure it walks through, so it is scored like the same steps at once."""
    from bench.kinds import ReplyReader
    from knowledge.loader import load_knowledge

    knowledge = load_knowledge()
    intro = knowledge.walkthroughs["messages"]["intro"]
    title = knowledge.procedures[procedure]["title"]
    reader = ReplyReader()
    assert reader.label(intro.format(title=title, total=5)) == topic
    assert reader.label(intro.format(title=title, total=5) + "\n⚠️ 常见误区：…") == topic
    assert reader.label(intro.format(title="某个不存在的操作", total=5)).startswith("other")
