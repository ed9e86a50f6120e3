"""What the channels remember between requests: per-sender message counts (REST rate limit), the
WeChat menus, the unsent rest of long answers and which WeChat messages were already taken.

One Rasa server keeps it in its own memory (bounded). Several replicas behind nginx must share it,
or a student's "1" would reach a replica that never showed them the menu and a WeChat retry would
be answered twice: with REDIS_HOST set (REDIS_PORT, default 6379; the Redis of the lock store,
deploy/endpoints.yml) it lives in Redis, under the "helpdesk:channel:" prefix.
"""

import asyncio
import functools
import json
import os
import time
import uuid
from collections import OrderedDict, deque
from typing import Any, Deque, Dict, Optional, Text, Tuple

REMEMBERED_KEYS = 100_000
PREFIX = "helpdesk:channel:"
POLL_SECONDS = 0.1


class MemoryState:
    """In this process only; the oldest keys are forgotten past REMEMBERED_KEYS."""

    def __init__(self) -> None:
        self.values: "OrderedDict[Text, Tuple[float, Any]]" = OrderedDict()
        self.windows: "OrderedDict[Text, Deque[float]]" = OrderedDict()

    def _remember(self, store: "OrderedDict[Text, Any]", key: Text, value: Any) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > REMEMBERED_KEYS:
            store.popitem(last=False)

    async def allow(self, key: Text, count: int, seconds: float, now: Optional[float] = None) -> bool:
        """True for at most `count` calls with this key in any `seconds`-long window."""
        now = time.monotonic() if now is None else now
        times = self.windows.get(key) or deque()
        self._remember(self.windows, key, times)
        while times and now - times[0] >= seconds:
            times.popleft()
        if len(times) >= count:
            return False
        times.append(now)
        return True

    async def get(self, key: Text) -> Any:
        expires, value = self.values.get(key, (0.0, None))
        return value if expires > time.monotonic() else None

    async def put(self, key: Text, value: Any, seconds: float) -> None:
        self._remember(self.values, key, (time.monotonic() + seconds, value))

    async def pop(self, key: Text) -> Any:
        value = await self.get(key)
        self.values.pop(key, None)
        return value

    async def claim(self, key: Text, seconds: float) -> bool:
        """True for the first caller only (until `seconds` have passed)."""
        if await self.get(key) is not None:
            return False
        await self.put(key, True, seconds)
        return True


class RedisState(MemoryState):
    """The same operations on one Redis shared by every replica."""

    def __init__(self, host: Text, port: int) -> None:
        import redis.asyncio  # installed with Rasa (its Redis lock store)

        self.redis = redis.asyncio.Redis(host=host, port=port, socket_timeout=5)

    async def allow(self, key: Text, count: int, seconds: float, now: Optional[float] = None) -> bool:
        key, now = PREFIX + key, time.time() if now is None else now
        member = f"{now}:{uuid.uuid4().hex}"
        pipe = self.redis.pipeline(transaction=True)
        pipe.zremrangebyscore(key, "-inf", now - seconds)
        pipe.zadd(key, {member: now})
        pipe.zcard(key)
        pipe.expire(key, int(seconds) + 1)
        in_window = (await pipe.execute())[2]
        if in_window > count:
            await self.redis.zrem(key, member)  # a refused message does not count
            return False
        return True

    async def get(self, key: Text) -> Any:
        value = await self.redis.get(PREFIX + key)
        return None if value is None else json.loads(value)

    async def put(self, key: Text, value: Any, seconds: float) -> None:
        await self.redis.set(PREFIX + key, json.dumps(value, ensure_ascii=False), px=int(seconds * 1000))

    async def pop(self, key: Text) -> Any:
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(PREFIX + key)
        pipe.delete(PREFIX + key)
        value = (await pipe.execute())[0]
        return None if value is None else json.loads(value)

    async def claim(self, key: Text, seconds: float) -> bool:
        return bool(await self.redis.set(PREFIX + key, "1", nx=True, px=int(seconds * 1000)))


async def wait_for(state: MemoryState, key: Text, seconds: float) -> Any:
    """The value another replica puts under `key`, once it is there (None after `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = await state.get(key)
        if value is not None:
            return value
        await asyncio.sleep(POLL_SECONDS)
    return None


def redis_address(environ: Optional[Dict[str, str]] = None) -> Optional[Tuple[str, int]]:
    """(host, port) of the Redis the channels share when REDIS_HOST is set (REDIS_PORT, default
    6379), else None: the state, the handoff queue and socket.io's manager all use it."""
    environ = os.environ if environ is None else environ
    host = environ.get("REDIS_HOST")
    return (host, int(environ.get("REDIS_PORT") or 6379)) if host else None


@functools.lru_cache(maxsize=1)
def shared_state() -> MemoryState:
    """The one state of this process, used by every channel (their keys start with the channel's
    name): one Redis connection pool, not one per channel."""
    address = redis_address()
    return RedisState(*address) if address else MemoryState()
