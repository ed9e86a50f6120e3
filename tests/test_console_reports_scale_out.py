"""The staff console's 报告 and 培训演练 on the scale-out (harness/cluster.py: PostgreSQL, Redis,
two Rasa replicas and two action servers behind nginx): feedback given through nginx (either
replica) is read from PostgreSQL by the console of each replica with the same counts, and a
rehearsal started in replica A's console goes on in replica B's (the conversation in PostgreSQL,
the login session in Redis). The page names the store without a password."""

import html
import re
from types import SimpleNamespace

import pytest

from harness.bot import new_sender, say
from harness.cluster import running_cluster
from knowledge.render import feedback_buttons, feedback_reason_buttons, payload_for
from staff import rehearsal_db
from tests.test_handoff import ACCOUNTS, CONSOLE, logged_in_session

pytestmark = pytest.mark.e2e

HELPFUL_TOPIC, UNHELPFUL_TOPIC = "icve_lost_device", "chsi_account_share"
TRAINEE = "赵老师"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("console-cluster")


@pytest.fixture(scope="module")
def cluster(trained_model, workdir):
    env = {"HELPDESK_STAFF_ACCOUNTS": ACCOUNTS, "REHEARSAL_DB": str(workdir / "rehearsal.db")}
    with running_cluster(trained_model, replicas=2, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def replicas(cluster):
    return tuple(SimpleNamespace(url=f"http://{r.address}") for r in cluster.replicas)


def feedback_rows(page: str):
    """{topic title: [helpful, unhelpful, rate, reasons]} of the page's feedback table."""
    table = page.split('class="hc-table hc-feedback"')[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1]):
        cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
        rows[cells[0]] = cells[1:]
    return rows


def test_both_replicas_report_the_feedback_read_from_postgresql(cluster, replicas, knowledge):
    helpful, unhelpful = (
        feedback_buttons(knowledge, HELPFUL_TOPIC)[0]["payload"],
        feedback_buttons(knowledge, UNHELPFUL_TOPIC)[1]["payload"],
    )
    for topic, payload in ((HELPFUL_TOPIC, helpful), (UNHELPFUL_TOPIC, unhelpful)):
        sender = new_sender()
        assert say(cluster.webhook, sender, payload_for(knowledge, topic))
        assert say(cluster.webhook, sender, payload)
        if payload == unhelpful:
            reason = feedback_reason_buttons(knowledge, topic)[2]  # 看不懂
            assert say(cluster.webhook, sender, reason["payload"])
    stored = cluster.postgres.query(
        "SELECT data FROM events WHERE type_name = 'user' AND data LIKE '%/feedback%'"
    )
    assert len(stored) == 3
    staff = logged_in_session(replicas[0])
    expected = {
        knowledge.topics[HELPFUL_TOPIC]["title"]: ["1", "0", "100%", "—"],
        knowledge.topics[UNHELPFUL_TOPIC]["title"]: ["0", "1", "0%", "看不懂 1"],
    }
    for replica in replicas:  # the login session is in Redis: valid on both
        page = staff.get(replica.url + CONSOLE + "/reports", allow_redirects=False, timeout=120)
        assert page.status_code == 200, page.status_code
        assert feedback_rows(page.text) == expected
        assert '<svg class="hc-chart"' in page.text
        assert "postgresql" in page.text and 'role="alert"' not in page.text  # the store was read


def test_a_rehearsal_started_in_one_replicas_console_goes_on_in_the_other(replicas, workdir, knowledge):
    staff = logged_in_session(replicas[0])

    def send(replica, text):
        page = staff.get(replica.url + CONSOLE + "/rehearsal", timeout=60).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        answer = staff.post(
            replica.url + CONSOLE + "/rehearsal",
            data={"csrf": csrf, "text": text},
            allow_redirects=False,
            timeout=120,
        )
        assert answer.status_code == 302, answer.text[:300]
        return html.unescape(staff.get(replica.url + CONSOLE + "/rehearsal", timeout=60).text)

    messages = knowledge.rehearsal["messages"]
    assert messages["ask_trainee"] in send(
        replicas[0], knowledge.presentation["console"]["rehearsal_start_text"]
    )
    assert "【场景 1/" in send(replicas[1], TRAINEE)
    page = send(replicas[0], "我不知道")
    assert "【场景 2/" in page and "得分：0/100" in page
    assert [(r["trainee"], r["score"]) for r in rehearsal_db.read_all(workdir / "rehearsal.db")] == [
        (TRAINEE, 0)
    ]
