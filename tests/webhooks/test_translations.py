"""Issue 17: the webhooks page's checks and messages in 简体中文 (the stored endpoint is the same in both)."""

import pytest
from django.utils import translation

from tests.catalogs import compile_domain_catalogs
from webhooks.models import DeliveryStatus
from webhooks.validation import endpoint_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catalogs():
    compile_domain_catalogs()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [("name", "an endpoint needs a name"), ("url", "must be an http:// or https:// URL"),
             ("events", "unknown event(s) nope")],
        ),
        (
            "zh-hans",
            [("name", "端点需要一个名称"), ("url", "必须是 http:// 或 https:// 开头的 URL"),
             ("events", "未知事件：nope")],
        ),
    ],
)  # fmt: skip
def test_endpoint_problems_name_the_field_in_the_readers_language(language, expected):
    with translation.override(language):
        assert endpoint_errors(name=" ", url="ftp://x", events=["nope"], allows_private=False) == expected


def test_delivery_status_labels_are_translated():
    with translation.override("zh-hans"):
        assert [str(label) for label in DeliveryStatus.labels] == ["待发送", "发送中", "等待重试", "已送达", "失败"]
    assert list(DeliveryStatus.values) == ["pending", "sending", "retrying", "delivered", "failed"]
