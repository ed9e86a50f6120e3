#!/usr/bin/env bash
# Starts the action server and then the Rasa server (REST channel on port 5005) or, with "shell",
# a chat in the terminal. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-server}"
mkdir -p var

.venv/bin/rasa run actions --actions actions --port 5055 &
actions_pid=$!
trap 'kill "$actions_pid" 2>/dev/null || true; wait "$actions_pid" 2>/dev/null || true' EXIT INT TERM

if [ "$mode" = shell ]; then
  .venv/bin/python -m server shell --model models/helpdesk.tar.gz --endpoints endpoints.yml
else
  .venv/bin/python -m server run --model models/helpdesk.tar.gz --port 5005 \
    --credentials credentials.yml --endpoints endpoints.yml
fi
