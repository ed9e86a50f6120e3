#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 needs 3.8-3.10), or explains what to install.
set -u
for candidate in python3.10 "$(command -v pyenv >/dev/null && pyenv root)"/versions/3.10.*/bin/python3.10 \
                 "$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  if "$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    command -v "$candidate" 2>/dev/null || echo "$candidate"
    exit 0
  fi
done
echo "No Python 3.10 found. Install one, e.g. 'pyenv install 3.10' or 'uv python install 3.10'," >&2
echo "or your distribution's python3.10 and python3.10-venv packages, then run make again." >&2
exit 1
