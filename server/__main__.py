"""`python -m server ARGS` is `rasa ARGS` with the fixes of server/__init__.py applied."""

from rasa.__main__ import main

from server import apply_fixes

if __name__ == "__main__":
    apply_fixes()
    main()
