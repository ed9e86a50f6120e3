"""The socket.io channel's allowed origins (channels/socketio.py), without a server."""

import pytest
import yaml

from channels.socketio import (
    ALLOWED_ORIGINS_ENV,
    DEFAULT_ALLOWED_ORIGINS,
    SOCKETIO_REDIS_CHANNEL,
    SocketIOInput,
    allowed_origins,
    client_manager,
    parse_origins,
)
from harness.bot import ROOT

pytestmark = pytest.mark.unit


def test_origins_from_a_list_or_a_string():
    assert parse_origins(["https://a.example.edu.cn", "http://localhost:8000/"]) == [
        "https://a.example.edu.cn",
        "http://localhost:8000",
    ]
    assert parse_origins("https://a.example, https://b.example:8443") == [
        "https://a.example",
        "https://b.example:8443",
    ]
    assert parse_origins(None) == [] and parse_origins("") == []


@pytest.mark.parametrize("bad", ["*", "a.example.edu.cn", "https://a.example/chat", "ftp://a.example"])
def test_anything_but_an_origin_is_refused(bad):
    with pytest.raises(ValueError):
        parse_origins([bad])


def test_the_environment_variable_replaces_the_configured_origins():
    configured = ["http://localhost:8000"]
    assert allowed_origins(configured, {ALLOWED_ORIGINS_ENV: "https://helpdesk.example"}) == [
        "https://helpdesk.example"
    ]
    assert allowed_origins(configured, {ALLOWED_ORIGINS_ENV: ""}) == configured
    assert allowed_origins(None, {}) == list(DEFAULT_ALLOWED_ORIGINS)


def test_the_channel_in_credentials_yml_allows_the_demo_page(monkeypatch):
    monkeypatch.delenv(ALLOWED_ORIGINS_ENV, raising=False)
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    assert "channels.rest.RestInput" in credentials  # the REST channel stays
    channel = SocketIOInput.from_credentials(credentials["channels.socketio.SocketIOInput"])
    assert channel.allowed_origins == ["http://localhost:8000", "http://127.0.0.1:8000"]
    assert channel.session_persistence is True
    assert channel.name() == "socketio"


def test_with_redis_the_replicas_share_socketio_emits_without_it_nothing_changes():
    from socketio import AsyncRedisManager

    assert client_manager({}) is None  # one server: python-socketio's own manager
    manager = client_manager({"REDIS_HOST": "redis.internal", "REDIS_PORT": "6380"})
    assert isinstance(manager, AsyncRedisManager)
    assert manager.redis_url == "redis://redis.internal:6380/0"
    assert manager.channel == SOCKETIO_REDIS_CHANNEL and not manager.write_only
