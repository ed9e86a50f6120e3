"""The scale-out lock store (stores/redis_lock.py) on a real Redis: two replicas, each with its own
store and event loop, never handle two messages of one conversation at once; a dead replica's lock
expires; a slow answer keeps its turn."""

import asyncio
import threading
import time

import pytest
import redis
from rasa.utils.endpoints import EndpointConfig

from harness.cluster import local_redis
from stores.redis_lock import AtomicRedisLockStore

pytestmark = pytest.mark.e2e

KEY_PREFIX = "helpdesk"


@pytest.fixture(scope="module")
def redis_port():
    with local_redis() as port:
        yield port


def lock_store(port: int) -> AtomicRedisLockStore:
    config = EndpointConfig(url="127.0.0.1", port=port, db=0, key_prefix=KEY_PREFIX, type="unused")
    return AtomicRedisLockStore(config)


def handle_messages(port: int, conversation: str, messages: int, record: list) -> None:
    """One replica: `messages` messages of one conversation arrive at once; each reads the
    conversation's state, takes a while, and writes the state back, as Rasa does with a tracker."""
    store, state = lock_store(port), redis.Redis(port=port)

    async def handle(number: int) -> None:
        async with store.lock(conversation, lock_lifetime=5):
            record.append(("enter", threading.get_ident(), number))
            seen = int(state.get(f"state:{conversation}") or 0)
            await asyncio.sleep(0.005)
            state.set(f"state:{conversation}", seen + 1)
            record.append(("leave", threading.get_ident(), number))

    async def all_at_once() -> None:
        await asyncio.gather(*(handle(number) for number in range(messages)))

    asyncio.run(all_at_once())


def test_two_replicas_handle_the_messages_of_one_conversation_one_at_a_time(redis_port):
    record: list = []
    replicas = [
        threading.Thread(target=handle_messages, args=(redis_port, "student-1", 25, record)) for _ in range(2)
    ]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.join(timeout=120)
    # Every message read the state the previous one wrote: none was handled against an old state.
    assert int(redis.Redis(port=redis_port).get("state:student-1")) == 50
    # Enter and leave strictly alternate: never two messages inside at once.
    assert [kind for kind, _, _ in record] == ["enter", "leave"] * 50
    assert len({replica for _, replica, _ in record}) == 2


def test_a_lock_left_by_a_dead_replica_expires_after_its_lifetime(redis_port):
    # A replica took the lock with a 1 s lifetime and died: nobody renews or releases it.
    redis.Redis(port=redis_port).lock(f"{KEY_PREFIX}:lock:student-2", timeout=1).acquire()
    store = lock_store(redis_port)

    async def next_message() -> float:
        started = time.monotonic()
        async with store.lock("student-2", lock_lifetime=1):
            return time.monotonic() - started

    waited = asyncio.run(next_message())
    assert 0.5 < waited < 3


def test_a_slow_answer_keeps_its_turn_past_the_lock_lifetime(redis_port):
    first, second, order = lock_store(redis_port), lock_store(redis_port), []

    async def slow() -> None:
        async with first.lock("student-3", lock_lifetime=0.6):
            order.append("slow starts")
            await asyncio.sleep(2)  # over three lifetimes: the holder's renewals keep the lock
            order.append("slow ends")

    async def next_message() -> None:
        await asyncio.sleep(0.1)
        async with second.lock("student-3", lock_lifetime=0.6):
            order.append("next")

    async def both() -> None:
        await asyncio.gather(slow(), next_message())

    asyncio.run(both())
    assert order == ["slow starts", "slow ends", "next"]


def test_a_lock_is_gone_once_its_message_is_answered(redis_port):
    store = lock_store(redis_port)

    async def one_message() -> None:
        async with store.lock("student-4"):
            pass

    asyncio.run(one_message())
    assert redis.Redis(port=redis_port).keys(f"{KEY_PREFIX}*student-4*") == []
