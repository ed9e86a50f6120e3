"""The trim (stores/trim.py) on the scale-out: two Rasa replicas behind nginx share PostgreSQL and the
Redis lock store (deploy/endpoints.yml, trim_after_events 60). A long conversation whose messages
alternate between the replicas is trimmed in PostgreSQL, keeps every message once and in order,
loads a bounded session, and a follow-up after a trim is answered as in a short conversation."""

import json

import pytest
import requests

from bench.length import RATE_LIMIT
from harness.bot import new_sender
from harness.cluster import running_cluster
from stores.trim import DEFAULT_TRIM_AFTER_EVENTS

pytestmark = pytest.mark.e2e

FILLER = ["职教云账号注销了还能找回吗", "学信网账号能不能借给室友用", "谢谢你", "手机丢了账号怎么办"]


@pytest.fixture(scope="module")
def cluster(trained_model, tmp_path_factory):
    env = {
        "REHEARSAL_DB": str(tmp_path_factory.mktemp("trim-cluster") / "rehearsal.db"),
        "HELPDESK_RATE_LIMIT": RATE_LIMIT,  # one student's 40 messages within a minute
    }
    with running_cluster(trained_model, replicas=2, env=env) as running:
        yield running


def post(cluster, sender, text):
    """(replica that answered, the reply without its recipient)."""
    answer = requests.post(cluster.webhook, json={"sender": sender, "message": text}, timeout=60)
    answer.raise_for_status()
    reply = [{k: v for k, v in m.items() if k != "recipient_id"} for m in answer.json()]
    return answer.headers.get("X-Upstream"), reply


def events(cluster, sender):
    rows = cluster.postgres.query(
        f"select type_name, data from events where sender_id = '{sender}' order by id"
    )
    return [(kind, json.loads(data)) for kind, data in rows]


def latest_session(cluster, sender):
    ((count,),) = cluster.postgres.query(
        f"select count(*) from events where sender_id = '{sender}' and timestamp >= coalesce((select "
        f"max(timestamp) from events where sender_id = '{sender}' and type_name = 'session_started'), 0)"
    )
    return int(count)


def test_a_long_conversation_over_both_replicas_is_trimmed_in_postgresql(cluster):
    sender, replicas, loads = new_sender(), set(), []
    messages = FILLER * 10 + ["职教云app咋登出"]
    for text in messages:
        replica, _ = post(cluster, sender, text)
        replicas.add(replica)
        loads.append(latest_session(cluster, sender))
    replica, follow_up = post(cluster, sender, "那网页版呢")
    replicas.add(replica)
    assert replicas == {r.address for r in cluster.replicas}

    stored = events(cluster, sender)
    assert [data["text"] for kind, data in stored if kind == "user"] == messages + ["那网页版呢"]
    trims = [data for kind, data in stored if kind == "session_started" and (data.get("metadata") or {})]
    assert len(trims) >= 3
    assert max(loads) <= DEFAULT_TRIM_AFTER_EVENTS + 20, loads

    short = new_sender()
    post(cluster, short, "职教云app咋登出")
    assert follow_up == post(cluster, short, "那网页版呢")[1]
