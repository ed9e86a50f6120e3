"""WeChat's kf handoff (HELPDESK_WECHAT_HANDOFF=kf) across two replicas behind nginx
(harness/cluster.py): whether WeChat's customer service has a student lives in the channels' shared
state in Redis (channels/shared_state.py), so the replica a message reaches does not matter. The
student accepts on replica B and gets the transfer_customer_service passive reply; a message
meanwhile reaching A is handed on again, not answered, and kept in PostgreSQL; WeChat's
kf_close_session reaching A ends it, and B's bot answers again. The queue mode across replicas:
tests/test_handoff_scale_out.py."""

import json
import time

import pytest

from harness.cluster import running_cluster
from tests.test_wechat import APP_STEPS, message_xml, new_user, post, reply_content, say, text_xml, wechat_env
from tests.test_wechat_handoff import QUESTION, TO_A_PERSON, accept_number, is_transfer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(trained_model, tmp_path_factory, wechat_api):
    env = {
        **wechat_env(wechat_api),
        "HELPDESK_WECHAT_HANDOFF": "kf",
        "REHEARSAL_DB": str(tmp_path_factory.mktemp("kf-cluster") / "rehearsal.db"),
    }
    with running_cluster(trained_model, replicas=2, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def texts(knowledge):
    return knowledge.presentation["handoff"]


def stored_user_texts(cluster, sender):
    rows = cluster.postgres.query(
        f"select data from events where sender_id = '{sender}' and type_name = 'user' order by id"
    )
    return [json.loads(data)["text"] for (data,) in rows]


def test_kf_transfer_on_b_a_message_meanwhile_on_a_and_the_close_on_a(cluster, wechat_api, texts):
    to_a, to_b = (f"http://{r.address}/webhooks/wechat/webhook" for r in cluster.replicas)
    user = new_user()
    assert APP_STEPS in say(to_b, user, QUESTION)
    offer = say(to_b, user, "转人工")
    assert texts["offer"].split("？")[0] in offer, offer
    accepted = post(to_b, text_xml(user, accept_number(offer, texts)))
    assert is_transfer(accepted, user), accepted.text

    # Meanwhile, on the other replica: handed on again, not answered by the bot, kept.
    sent_before = len(wechat_api.texts_to(user, at_least=0, seconds=0))
    meanwhile = post(to_a, text_xml(user, TO_A_PERSON))
    assert is_transfer(meanwhile, user), meanwhile.text
    assert TO_A_PERSON in stored_user_texts(cluster, "wechat:" + user)
    time.sleep(1)
    assert len(wechat_api.texts_to(user, at_least=0, seconds=0)) == sent_before  # nothing sent

    # WeChat closes the session, at A: the student is told, and B's bot answers again.
    closed = post(to_a, message_xml(user, "event", Event="kf_close_session", KfAccount="kf1@gh"))
    assert reply_content(closed).findtext("Content") == texts["kf_closed"]
    assert APP_STEPS in say(to_b, user, QUESTION)
