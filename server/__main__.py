"""`python -m server ARGS` is `rasa ARGS` with the fixes of server/__init__.py applied."""

import sys

from server import apply_fixes

if __name__ == "__main__":
    apply_fixes(sys.argv[1:])
    from rasa.__main__ import main

    main()
