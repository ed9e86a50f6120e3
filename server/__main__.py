"""`python -m server ARGS` is `rasa ARGS` with the fixes of server/__init__.py applied, and it
refuses to open the management API without a token or a JWT secret (CVE-2024-49375)."""

import sys

from server import apply_fixes, unprotected_api_refusal

if __name__ == "__main__":
    refusal = unprotected_api_refusal(sys.argv[1:])
    if refusal:
        sys.exit(refusal)
    apply_fixes(sys.argv[1:])
    from rasa.__main__ import main

    main()
