"""The knowledge base: complete, consistent with the domain, and free of the articles' marketing numbers."""

import json
import re

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswer
from knowledge.provenance import occurs
from knowledge.render import payload_for, render_answer
from tests.test_provenance import read_documents

pytestmark = pytest.mark.unit

# Operational facts from the documents that the bot must be able to state (../shared/GUIDE.md).
REQUIRED_FACTS = [
    "72小时",
    "2小时",
    "3个工作日",
    "90天",
    "180天",
    "3个常用设备",
    "“账户与安全”→“退出登录”",
    "Ctrl+Shift+Delete",
    "“强制下线所有设备”",
    "访客模式",
    "“账号安全”-“关联设备”",
    "验证短信和人脸识别",
    "“隐私设置”",
    "信息化办公室",
    "《个人信息保护法》第47条",
    "三阶确认法",
    "学期末",
    "证件号码已被注册",
    "主子账号",
    "教务处",
    "实名验证",
    "查设备→退登录→清缓存→验状态→改密码",
]


def all_answers(knowledge):
    return {tid: render_answer(knowledge, tid) for tid in knowledge.topics}


def test_every_knowledge_intent_has_a_topic(knowledge, domain):
    topic_intents = [i for i in domain["intents"] if i.startswith(("icve_", "chsi_"))]
    missing = [i for i in topic_intents if i not in knowledge.topics]
    assert not missing


def test_every_topic_can_be_reached(knowledge, domain):
    for topic_id in knowledge.topics:
        intent = payload_for(knowledge, topic_id).lstrip("/").split("{")[0]
        assert intent in domain["intents"], topic_id


def test_references_between_knowledge_files_resolve(knowledge):
    for topic_id, topic in knowledge.topics.items():
        assert topic["platform"] in knowledge.platforms, topic_id
        assert topic.get("procedure", next(iter(knowledge.procedures))) in knowledge.procedures
        beliefs = [topic["misconception"]] if "misconception" in topic else []
        assert set(beliefs + topic.get("warn_misconceptions", [])) <= set(knowledge.misconceptions)
        assert set(topic.get("related", [])) <= set(knowledge.topics), topic_id
    for platform in knowledge.platforms.values():
        assert set(platform["menu"]) <= set(knowledge.topics)
    for by_platform in knowledge.routes.values():
        for by_device in by_platform.values():
            assert "default" in by_device and set(by_device.values()) <= set(knowledge.topics)
    assert set(knowledge.routes) == set(knowledge.goal_titles)


@pytest.mark.parametrize("fact", REQUIRED_FACTS)
def test_operational_fact_is_stated_somewhere(knowledge, fact):
    assert any(fact in text for text in all_answers(knowledge).values()), fact


# The articles' marketing statistics and readability figures: never to be said (../shared/GUIDE.md).
MARKETING = re.compile(
    r"\d+(\.\d+)?\s*[%％]|\d+\.\d+|白皮书|报告显示|报告指出|调研报告|数字化报告|Flesch|Kincaid|"
    r"艾瑞咨询|数据来源|职业教育协会|成功率|受访者|被盗率|失误率|纠纷减少|效率提升|\d+倍|平均句长|句式结构"
)


def strings(value):
    """Every string inside a loaded YAML value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def everything_the_bot_can_say(knowledge, domain):
    """(where, text): every answer (and with each belief corrected first), every step, hint, check,
    walkthrough and rehearsal text, every message template, and the domain's responses."""
    said = [(f"answer {tid}", text) for tid, text in all_answers(knowledge).items()]
    said += [
        (f"answer {t['topic']} correcting {mid}", render_answer(knowledge, t["topic"], stated=[mid]))
        for mid, t in knowledge.misconceptions.items()
    ]
    said += [(text.key, text.text) for text in knowledge.texts.values()]
    for name in (
        "topics",
        "procedures",
        "misconceptions",
        "walkthroughs",
        "presentation",
        "rehearsal",
        "platforms",
        "goal_titles",
    ):
        said += [(name, text) for text in strings(getattr(knowledge, name))]
    said += [(f"domain {name}", text) for name, text in strings_of_responses(domain)]
    return said


def strings_of_responses(domain):
    for name, variants in domain["responses"].items():
        for variant in variants:
            for text in strings(variant):
                yield name, text


def test_no_marketing_statistics_are_repeated(knowledge, domain):
    said = everything_the_bot_can_say(knowledge, domain)
    assert len(said) > 500
    found = [(where, MARKETING.search(text).group(0)) for where, text in said if MARKETING.search(text)]
    assert not found, found


@pytest.fixture(scope="module")
def documents(knowledge):
    return read_documents(knowledge)  # ../shared/seeds


def test_every_answer_cites_the_document_its_texts_are_quoted_from(knowledge, domain, tracker_for, documents):
    """The document is found by the test in ../shared/seeds (the one holding every quote of the
    topic's texts), not taken from the `source` keys the renderer itself reads."""
    for topic_id in knowledge.topics:
        quotes = [q for p in knowledge.topic_texts(topic_id) if not p.guidance for q in p.quotes]
        assert quotes, f"{topic_id}: no quoted text, so no document to cite"
        holding = [d for d, text in documents.items() if all(occurs(q, text) for q in quotes)]
        assert len(holding) == 1, (topic_id, holding)
        source = knowledge.sources[holding[0]]
        assert source["title"] in documents[holding[0]][:500], "sources.yml names the seed's own title"

        said = CollectingDispatcher()
        intent, _, entities = payload_for(knowledge, topic_id).lstrip("/").partition("{")
        said_entities = (
            [{"entity": k, "value": v} for k, v in json.loads("{" + entities).items()] if entities else []
        )
        ActionAnswer().run(said, tracker_for(intent, said_entities), domain)
        answer = said.messages[-1]["text"]
        assert re.findall(r"《(.+?)》（(.+?)）", answer) == [(source["title"], str(source["published"]))], (
            topic_id,
            answer,
        )
        assert answer.endswith("平台界面可能已更新，请以实际页面为准。"), topic_id


def test_steps_are_numbered_in_order_with_included_procedures_expanded(knowledge):
    text = render_answer(knowledge, "icve_deregister")
    numbers = [int(n) for n in re.findall(r"^(\d)\. ", text, flags=re.M)]
    assert numbers == [1, 2, 3, 4, 5, 6, 7]  # 4 unbinding steps, then export, apply, confirm
    unbind, deregister = text.index("解除所有绑定"), text.index("提交注销申请")
    assert unbind < deregister
