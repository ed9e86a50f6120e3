"""One conversation handled by one replica at a time, with a lock Redis sets atomically.

Rasa's own RedisLockStore keeps a conversation's whole ticket list in one key and rewrites it
read-modify-write from every replica: two replicas can both read "no lock", both take ticket 0 and
handle two messages of one student at once against the same old state (one of the two messages was
then missing from the tracker), and a waiting message's ticket expires while it waits. Here the lock
is one key taken with SET NX PX (redis-py's Lock, released by a compare-and-delete script). The replica
holding it keeps renewing it, so it expires only when that replica dies (after TICKET_LOCK_LIFETIME
seconds, Rasa's variable); waiting never expires a turn.

Messages that arrive at the same moment are handled one after the other, in no promised order.
"""

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator, Text

import redis.exceptions
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# How often a waiting message looks again whether the conversation is free: short, as a message
# usually takes tens of milliseconds (Rasa's ticket lock looks once a second).
POLL_SECONDS = 0.01
# A waiting message gives up (Rasa answers 500 and logs it) after this long: by then nginx has stopped
# waiting for the answer (proxy_read_timeout 60 s in deploy/nginx.conf.template). A live holder renews
# its lock and a dead one's expires, so only a long queue of one student's messages comes this far.
MOST_WAIT_SECONDS = 60


class AtomicRedisLockStore(RedisLockStore):
    """endpoints.yml `lock_store: type: stores.redis_lock.AtomicRedisLockStore`, with the keys of
    Rasa's `type: redis` (url, port, db, username, password, key_prefix, ...)."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[None]:
        held = self.red.lock(self.key_prefix + conversation_id, timeout=lock_lifetime)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + MOST_WAIT_SECONDS
        while not held.acquire(blocking=False):
            if loop.time() > give_up_at:
                raise LockError(f"A message waited over {MOST_WAIT_SECONDS} s for its conversation's turn.")
            await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
        keep_alive = asyncio.create_task(self._keep_alive(held, lock_lifetime))
        try:
            yield None  # Rasa's callers only need to be inside the lock
        finally:
            keep_alive.cancel()
            try:
                held.release()
            except redis.exceptions.LockError:
                # Our renewals stopped reaching Redis long enough for the lock to expire: another
                # replica may have handled a message meanwhile. Nothing left to release.
                logger.warning("A conversation lock had expired before it was released.")

    @staticmethod
    async def _keep_alive(held, lock_lifetime: float) -> None:
        """Renew the lock while the message is handled, so a slow answer keeps its turn."""
        while True:
            await asyncio.sleep(lock_lifetime / 3)
            try:
                held.reacquire()
            except redis.exceptions.RedisError:
                logger.warning("Could not renew a conversation lock; it may expire.")
