"""Staff accounts of the staff console (channels/console.py): names with PBKDF2-SHA256 password
hashes, from HELPDESK_STAFF_ACCOUNTS. There is no default account: without the variable the
console refuses everyone. Imports neither Rasa nor the Rasa SDK.

    HELPDESK_STAFF_ACCOUNTS="wang:pbkdf2_sha256$600000$<salt hex>$<hash hex>,li:pbkdf2_sha256$…"

`python -m staff.accounts NAME` asks for a password (twice, not echoed) and prints the entry to add.
"""

import getpass
import hashlib
import hmac
import os
import re
import secrets
import sys
from typing import Dict, Mapping, Optional, Text, Tuple

ACCOUNTS_ENV = "HELPDESK_STAFF_ACCOUNTS"
SCHEME = "pbkdf2_sha256"
ITERATIONS = 600_000
MIN_ITERATIONS = 100_000
MIN_PASSWORD_CHARS = 10
NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,32}$")
# Compared against when the name is unknown, so that the answer takes as long as for a known one.
_DUMMY = (SCHEME, ITERATIONS, b"\0" * 16, b"\0" * 32)


def hash_password(password: Text, iterations: int = ITERATIONS, salt: Optional[bytes] = None) -> Text:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def _parse_hash(value: Text) -> Tuple[Text, int, bytes, bytes]:
    scheme, iterations, salt, digest = value.split("$")
    if scheme != SCHEME or int(iterations) < MIN_ITERATIONS or len(bytes.fromhex(digest)) != 32:
        raise ValueError
    return scheme, int(iterations), bytes.fromhex(salt), bytes.fromhex(digest)


class StaffAccounts:
    def __init__(self, accounts: Dict[Text, Tuple[Text, int, bytes, bytes]]) -> None:
        self._accounts = accounts

    @classmethod
    def parse(cls, value: Optional[Text]) -> "StaffAccounts":
        accounts = {}
        for entry in (e.strip() for e in (value or "").split(",") if e.strip()):
            name, _, hashed = entry.partition(":")
            if not NAME.match(name):
                raise ValueError(f"{ACCOUNTS_ENV}: {name!r} is not a name (letters, digits, _ . -)")
            try:
                accounts[name] = _parse_hash(hashed)
            except ValueError:
                raise ValueError(
                    f"{ACCOUNTS_ENV}: the account {name!r} has no {SCHEME} hash of at least "
                    f"{MIN_ITERATIONS} iterations (make one with `python -m staff.accounts {name}`)"
                ) from None
        return cls(accounts)

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[Text, Text]] = None) -> "StaffAccounts":
        environ = os.environ if environ is None else environ
        return cls.parse(environ.get(ACCOUNTS_ENV))

    @property
    def configured(self) -> bool:
        return bool(self._accounts)

    def verify(self, name: object, password: object) -> Optional[Text]:
        """The account's name when `password` is its password, else None."""
        if not isinstance(name, str) or not isinstance(password, str) or not password:
            return None
        known = self._accounts.get(name)
        _, iterations, salt, digest = known or _DUMMY
        offered = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
        return name if hmac.compare_digest(offered, digest) and known is not None else None


def main(argv: Optional[list] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not NAME.match(argv[0]):
        print("usage: python -m staff.accounts NAME  (prints NAME:<hash> for HELPDESK_STAFF_ACCOUNTS)")
        return 2
    password = getpass.getpass("password: ")
    if len(password) < MIN_PASSWORD_CHARS or password != getpass.getpass("again: "):
        print(f"the passwords differ or are shorter than {MIN_PASSWORD_CHARS} characters", file=sys.stderr)
        return 1
    print(f"{argv[0]}:{hash_password(password)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
