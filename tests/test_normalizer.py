"""The text normaliser that runs before jieba: traditional characters, full-width letters, typos."""

import pytest
import yaml

from nlu_components.normalizer import normalize

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def replacements(request):
    config = yaml.safe_load((request.config.rootpath / "config.yml").read_text(encoding="utf-8"))
    return next(c for c in config["pipeline"] if c["name"].endswith("ChineseTextNormalizer"))["replacements"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("學信網帳號可以多人共用嗎", "学信网账号可以多人共用吗"),
        ("職教雲ＡＰＰ咋登出？", "职教云APP咋登出?"),
        ("智慧职叫怎么推出登录", "智慧职教怎么退出登录"),
        ("学信王的账号怎么注消", "学信网的账号怎么注销"),
        ("  登陆不上  ", "登录不上"),
        ("智慧职教怎么退出账号", "智慧职教怎么退出账号"),
    ],
)
def test_normalize(replacements, raw, expected):
    assert normalize(raw, replacements) == expected
