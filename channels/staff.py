"""Who is staff: the channels are the only ones that say so, and they say it the same way.

Students and staff use the same channels; the staff tools in the bot (the training rehearsal) are
for staff only. A channel marks a message as coming from staff by putting `"staff": true` into its
metadata, and every channel first drops whatever a client sent under that key, so the mark cannot
be forged from outside. The action server checks the mark of each message
(actions/rehearsal.py: `is_staff`), and accepts it only from the two channels that can set it.

- socket.io (the widget on the staff page web/staff.html, `make rehearse`): a socket that connected
  with the staff token in its socket.io `auth` ({"staff_token": "…"}) equal to HELPDESK_STAFF_TOKEN.
  The token is compared as SHA-256 digests with `hmac.compare_digest` (constant time, whatever the
  length of what was offered). There is no default token: without the variable nobody is staff on
  the web, and a socket offering a token then is refused like one offering a wrong token.
  Guessing is limited (`TokenGuard`): after MAX_WRONG_TOKENS wrong tokens from one client address
  within WRONG_TOKEN_WINDOW_S, that address is refused with TOKEN_LOCKED, the right token too,
  until the window has passed; logged once, without what was offered. The counts live in
  channels/shared_state.py, so they hold across replicas (Redis). The address is the one the
  connection came from; behind a reverse proxy, Sanic's SANIC_PROXIES_COUNT (or
  SANIC_REAL_IP_HEADER) says which forwarded address to trust, and without it X-Forwarded-For is
  ignored.
- WeChat: messages from the OpenIDs listed in STAFF_OPENIDS (comma-separated). WeChat signs every
  request with the channel's token, so the OpenID is WeChat's word, not the sender's.
- REST: never (anyone can name any sender there).
"""

import hashlib
import hmac
import logging
import os
from typing import Any, Dict, FrozenSet, Optional, Text

from channels.shared_state import MemoryState, shared_state
from staff.roles import STAFF_METADATA_KEY

STAFF_TOKEN_ENV = "HELPDESK_STAFF_TOKEN"
STAFF_OPENIDS_ENV = "STAFF_OPENIDS"
# The key of socket.io's `auth` object that carries the token (web/src/widget.js sends it).
AUTH_KEY = "staff_token"
# A token shorter than this is refused at start-up: it could be guessed.
MIN_TOKEN_CHARS = 16
# What a socket offering a wrong token is told (the staff page shows its own text for it).
TOKEN_REFUSED = "staff token not accepted"
# Wrong tokens from one client address allowed within the window; then it is refused for a window.
MAX_WRONG_TOKENS = 5
WRONG_TOKEN_WINDOW_S = 600
# What a socket is told while its address is refused (the staff page shows its own text for it).
TOKEN_LOCKED = "staff token attempts exceeded"

logger = logging.getLogger(__name__)


def _digest(token: Text) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class StaffToken:
    """HELPDESK_STAFF_TOKEN, kept only as its digest."""

    def __init__(self, token: Optional[Text]) -> None:
        if token is not None and len(token) < MIN_TOKEN_CHARS:
            raise ValueError(
                f"{STAFF_TOKEN_ENV} must be at least {MIN_TOKEN_CHARS} characters "
                "long (e.g. the output of `openssl rand -hex 24`)"
            )
        self._digest = _digest(token) if token else None

    @classmethod
    def from_environment(cls, environ: Optional[Dict[Text, Text]] = None) -> "StaffToken":
        environ = os.environ if environ is None else environ
        return cls(environ.get(STAFF_TOKEN_ENV) or None)

    @property
    def configured(self) -> bool:
        return self._digest is not None

    def accepts(self, offered: Any) -> bool:
        """True only when a token is configured and `offered` is that token."""
        if self._digest is None or not isinstance(offered, str) or not offered:
            return False
        return hmac.compare_digest(self._digest, _digest(offered))


class GuessLimit:
    """Wrong guesses per client address: after `attempts` of them within `window_s`, the address is
    refused, the right guess too, until the window has passed. Counted in channels/shared_state.py,
    so across replicas too; the lock is logged once, with the address, never what was offered."""

    def __init__(
        self,
        name: Text,
        title: Text,
        guesses: Text,
        attempts: int,
        window_s: float,
        state: Optional[MemoryState] = None,
    ) -> None:
        # name: the key prefix in the shared state; title and guesses: how the log line says it.
        self.name, self.title, self.guesses = name, title, guesses
        self.attempts, self.window_s, self._state = attempts, window_s, state

    @property
    def state(self) -> MemoryState:
        return self._state if self._state is not None else shared_state()

    async def locked(self, address: Text) -> bool:
        return await self.state.get(f"{self.name}:locked:{address}") is not None

    async def wrong(self, address: Text) -> bool:
        """Counts a wrong guess; True when the address is locked by it."""
        # The first attempts - 1 wrong ones are counted; the one after them locks the address.
        if await self.state.allow(f"{self.name}:wrong:{address}", self.attempts - 1, self.window_s):
            return False
        if await self.state.claim(f"{self.name}:locked:{address}", self.window_s):
            logger.warning(
                f"{self.title}: {self.attempts} wrong {self.guesses} from {address} within "
                f"{self.window_s:g} s; its attempts are refused for {self.window_s:g} s."
            )
        return True


class TokenGuard:
    """The staff token with a limit on wrong guesses per client address (see the module's doc)."""

    def __init__(
        self,
        token: StaffToken,
        state: Optional[MemoryState] = None,
        attempts: int = MAX_WRONG_TOKENS,
        window_s: float = WRONG_TOKEN_WINDOW_S,
    ) -> None:
        self.token = token
        self.limit = GuessLimit("staff-token", "Staff token", "tokens", attempts, window_s, state)

    async def refusal(self, offered: Any, address: Text) -> Optional[Text]:
        """None when `offered` is the staff token and `address` may try; else what to tell it."""
        if await self.limit.locked(address):
            return TOKEN_LOCKED
        if self.token.accepts(offered):
            return None
        return TOKEN_LOCKED if await self.limit.wrong(address) else TOKEN_REFUSED


def client_address(environ: Dict[Text, Any]) -> Text:
    """The address a socket.io connection came from. python-engineio's Sanic driver puts
    127.0.0.1 into REMOTE_ADDR whatever the client; Sanic's request knows the real one (a
    forwarded one only when Sanic is told to trust the proxy)."""
    request = environ.get("sanic.request")
    if request is not None:
        return request.remote_addr or request.ip or "unknown"
    return environ.get("REMOTE_ADDR") or "unknown"


def staff_openids(environ: Optional[Dict[Text, Text]] = None) -> FrozenSet[Text]:
    """The WeChat OpenIDs of staff, from STAFF_OPENIDS ("o6_bmjrPTlm6_2sgVt7hMZOPfL2M,o6_…")."""
    environ = os.environ if environ is None else environ
    return frozenset(item.strip() for item in environ.get(STAFF_OPENIDS_ENV, "").split(",") if item.strip())


def with_role(metadata: Optional[Dict[Text, Any]], staff: bool) -> Dict[Text, Any]:
    """A message's metadata with the channel's word on the role: the client's own "staff" key is
    dropped, and the mark is set only when the channel knows the sender is staff."""
    marked = {key: value for key, value in (metadata or {}).items() if key != STAFF_METADATA_KEY}
    if staff:
        marked[STAFF_METADATA_KEY] = True
    return marked
