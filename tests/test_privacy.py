"""Personal data is found, masked before the NLU sees it, and reported only by kind."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from nlu_components.privacy import PersonalDataFilter
from privacy import mask, valid_id_number

pytestmark = pytest.mark.unit

VALID_ID = "11010519491231002X"  # the check character of GB 11643's own example


@pytest.mark.parametrize(
    "text, masked, kinds",
    [
        (f"我的身份证号是{VALID_ID}，注册不了", "我的身份证号是【身份证号】，注册不了", ["id_number"]),
        (f"身份证{VALID_ID.lower()}", "身份证【身份证号】", ["id_number"]),
        ("手机号13812345678丢了", "手机号【手机号】丢了", ["phone"]),
        ("电话 138-1234-5678", "电话 【手机号】", ["phone"]),
        ("我密码是abc12345你帮我登一下", "我密码是【密码】你帮我登一下", ["password"]),
        ("password: Qwer!234", "password: 【密码】", ["password"]),
        (f"{VALID_ID} 13912345678", "【身份证号】 【手机号】", ["id_number", "phone"]),
    ],
)
def test_personal_data_is_masked(text, masked, kinds):
    assert mask(text) == (masked, kinds)


@pytest.mark.parametrize(
    "text",
    [
        "密码是多少",
        "密码怎么改",
        "2024年更新后需要3个工作日",
        "注销后180天才能重新注册",
        "110105194912310021",  # 18 digits, wrong check character
        "订单号1381234567890123",
        "12345678901",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert mask(text) == (text, [])


def test_check_character():
    assert valid_id_number(VALID_ID)
    assert not valid_id_number(VALID_ID[:-1] + "1")


def test_component_masks_text_and_adds_kind_only_entities():
    message = Message(data={"text": f"我身份证{VALID_ID}，密码是abc12345"})
    PersonalDataFilter({}).process([message])
    assert message.get("text") == "我身份证【身份证号】，密码是【密码】"
    assert [e["value"] for e in message.get("entities")] == ["id_number", "password"]
    assert VALID_ID not in str(message.as_dict())
