"""Scale-out on real PostgreSQL, Redis and nginx (harness/cluster.py): two Rasa replicas and two
action servers behind nginx share one tracker store and one lock store, so a conversation can move
between replicas, and losing a replica or the database loses no message that was answered."""

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import socketio

from bench.run import load_questions
from bench.speed import load_test
from harness.bot import new_sender
from harness.cluster import running_cluster
from privacy import redact
from tests import test_wechat as wechat

pytestmark = pytest.mark.e2e

WALKTHROUGH = ["一步一步教我退出智慧职教", "APP", "下一步", "下一步", "上一步", "下一步", "下一步"]
EXPECTED_STEPS = ["你是在哪里登录的", "第1/5步", "第2/5步", "第3/5步", "第2/5步", "第3/5步", "第4/5步"]


@pytest.fixture(scope="module")
def cluster(trained_model, tmp_path_factory):
    env = {
        "WECHAT_TOKEN": wechat.TOKEN,
        "WECHAT_APPID": wechat.APPID,
        "REHEARSAL_DB": str(tmp_path_factory.mktemp("cluster") / "rehearsal.db"),
    }
    with running_cluster(trained_model, replicas=2, env=env) as running:
        yield running


def post(cluster, sender, text):
    """(status, replica that answered, the bot's text)."""
    answer = requests.post(cluster.webhook, json={"sender": sender, "message": text}, timeout=60)
    text = "\n".join(m.get("text", "") for m in answer.json()) if answer.ok else ""
    return answer.status_code, answer.headers.get("X-Upstream"), text


def user_texts(cluster, sender):
    rows = cluster.postgres.query(
        f"select data from events where sender_id = '{sender}' and type_name = 'user' order by id"
    )
    return [json.loads(data)["text"] for (data,) in rows]


def test_a_conversation_spread_over_both_replicas_keeps_its_state(cluster):
    sender, replicas = new_sender(), set()
    for text, expected in zip(WALKTHROUGH, EXPECTED_STEPS, strict=True):
        status, replica, answer = post(cluster, sender, text)
        assert status == 200 and expected in answer, (text, answer)
        replicas.add(replica)
    assert replicas == {replica.address for replica in cluster.replicas}
    assert user_texts(cluster, sender) == WALKTHROUGH


def test_messages_of_one_student_sent_at_once_are_handled_one_after_the_other(cluster):
    sender, count = new_sender(), 8
    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(lambda n: post(cluster, sender, f"你好{n}"), range(count)))
    assert [status for status, _, _ in results] == [200] * count
    assert len({replica for _, replica, _ in results}) == 2
    # With the Redis lock store every message is read against the state the previous one left:
    # the tracker has each message once, each followed by the bot's turn.
    rows = cluster.postgres.query(
        f"select type_name, action_name from events where sender_id = '{sender}' order by id"
    )
    kinds = [kind if kind != "action" else action for kind, action in rows]
    assert sorted(user_texts(cluster, sender)) == sorted(f"你好{n}" for n in range(count))
    starts = [i for i, kind in enumerate(kinds) if kind == "user"] + [len(kinds)]
    turns = [kinds[start + 1 : end] for start, end in zip(starts, starts[1:], strict=False)]
    assert len(turns) == count and all("action_listen" in turn for turn in turns), kinds


def test_the_rate_limit_counts_over_both_replicas(cluster):
    sender = new_sender()
    results = [post(cluster, sender, "你好") for _ in range(31)]
    assert [status for status, _, _ in results[:30]] == [200] * 30
    assert len({replica for _, replica, _ in results[:30]}) == 2
    assert results[30][0] == 429


def test_wechat_menu_and_retry_work_across_replicas(cluster):
    first, second = (f"http://{replica.address}/webhooks/wechat/webhook" for replica in cluster.replicas)
    user = wechat.new_user()
    assert "回复 1：智慧职教（职教云）" in wechat.say(first, user, "怎么退出账号")
    assert wechat.APP_STEPS in wechat.say(second, user, "1")  # the menu shown by the other replica

    assert "第1/5步" in wechat.say(first, user, "一步一步教我退出智慧职教APP")
    reply = wechat.say(first, user, "下一步", msg_id=777001)
    retry = wechat.say(second, user, "下一步", msg_id=777001)  # WeChat's retry, other replica
    assert "第2/5步" in reply and retry == reply
    assert "第3/5步" in wechat.say(second, user, "下一步")  # handled once: step 2 -> 3


def test_the_chat_widget_stays_on_one_replica_through_nginx(cluster):
    client, answers = socketio.Client(), []
    client.on("bot_uttered", lambda message: answers.append(message.get("text", "")))
    # Long-polling first, as browsers do: every poll must reach the replica holding the session.
    client.connect(
        cluster.url,
        transports=["polling"],
        headers={"Origin": "http://localhost:8000"},
        socketio_path="socket.io",
    )
    try:
        session = new_sender()
        client.emit("session_request", {"session_id": session})
        client.emit("user_uttered", {"message": "智慧职教APP怎么退出登录", "session_id": session})
        deadline = time.monotonic() + 30
        while not any(wechat.APP_STEPS in answer for answer in answers):
            assert time.monotonic() < deadline, answers
            time.sleep(0.2)
    finally:
        client.eio.disconnect(abort=True)  # not waiting for the long-poll in progress


def test_load_50_conversations_of_20_messages_every_message_answered_and_stored(cluster):
    result = load_test(cluster.webhook, concurrency=50, questions=load_questions(20))
    assert result.failures == 0 and len(result.answered) == 50 * 20
    senders = {sender for sender, _ in result.answered}
    stored = {(sender, text) for sender in senders for text in user_texts(cluster, sender)}
    assert {(sender, redact(text)) for sender, text in result.answered} <= stored


def test_losing_the_database_during_run_the_bot_answers_and_stores_it_later(cluster):
    sender, replica = new_sender(), cluster.replicas[0]
    direct = f"http://{replica.address}/webhooks/rest/webhook"  # the outage turns on one replica

    def say(url, text):
        answer = requests.post(url, json={"sender": sender, "message": text}, timeout=60)
        return answer.status_code, "\n".join(m.get("text", "") for m in answer.json())

    assert say(direct, "你好")[0] == 200
    cluster.postgres.stop()
    try:
        status, answer = say(direct, "一步一步教我退出智慧职教APP")
        assert status == 200 and "第1/5步" in answer
        status, answer = say(direct, "下一步")
        assert status == 200 and "第2/5步" in answer  # the conversation goes on from memory
        assert all(r.process.poll() is None for r in cluster.replicas)
    finally:
        cluster.postgres.start()
    assert "The tracker database (postgresql at 127.0.0.1" in replica.log.read_text(encoding="utf-8")
    # Back again: the turns answered meanwhile are written, and the conversation goes on.
    assert "第3/5步" in say(direct, "下一步")[1]
    assert user_texts(cluster, sender) == ["你好", "一步一步教我退出智慧职教APP", "下一步", "下一步"]


def test_a_replica_killed_under_load_loses_no_answered_message(cluster):
    """20 students × 10 messages at once; one replica is killed a few seconds in. Every message
    that got an answer is in the tracker store; a message whose request failed is sent again, as
    the widget's user would, and is answered by the replica left."""
    students, messages = 20, 10
    answered, failed, lock = [], Counter(), threading.Lock()
    survivor = cluster.replicas[1]

    def student(number):
        sender = f"load-{number}-{new_sender()}"
        for n in range(messages):
            text = f"智慧职教APP怎么退出登录 {n}"
            for _attempt in range(5):
                try:
                    status, _, answer = post(cluster, sender, text)
                except requests.RequestException:
                    status = 0
                if status == 200:
                    with lock:
                        answered.append((sender, text))
                    break
                failed[status] += 1
                time.sleep(1)  # the student waits a moment and sends again (not waiting for an event)
        return sender

    with ThreadPoolExecutor(students) as pool:
        futures = [pool.submit(student, number) for number in range(students)]
        # Killed under load: once every student has had about one answer, with most still to come.
        deadline = time.monotonic() + 120
        while len(answered) < students:
            assert time.monotonic() < deadline, (
                f"the load did not get going: {len(answered)} answered, {failed}"
            )
            time.sleep(0.1)
        cluster.kill(cluster.replicas[0])
        senders = [future.result() for future in futures]

    assert survivor.process.poll() is None
    assert len(answered) == students * messages, failed  # every message answered in the end
    assert sum(failed.values()) <= students, failed  # only requests in flight at the kill failed
    stored = {(sender, text) for sender in senders for text in user_texts(cluster, sender)}
    assert set(answered) <= stored
