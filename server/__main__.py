"""`python -m server ARGS` is `rasa ARGS` with the fixes of server/__init__.py applied, and it
refuses to open the management API without a token or a JWT secret (CVE-2024-49375). The start-up
settings of server/startup.py (cold start and memory) are applied first, before Rasa is imported."""

import sys

from server import apply_fixes, unprotected_api_refusal
from server.startup import prepare

if __name__ == "__main__":
    refusal = unprotected_api_refusal(sys.argv[1:])
    if refusal:
        sys.exit(refusal)
    prepare(sys.argv[1:])  # cold start and memory (server/startup.py), before Rasa is imported
    apply_fixes(sys.argv[1:])
    from rasa.__main__ import main

    main()
