#!/usr/bin/env bash
# Starts the action server and then the Rasa server (REST and socket.io channels on port 5005) with
# the demo page of the chat widget on http://localhost:8000/, or, with "shell", a chat in the
# terminal. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-server}"
mkdir -p var

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT INT TERM

# Defaults for people; tests (tests/test_shell_sources.py) run the shell beside other bots on free
# ports: HELPDESK_ENDPOINTS is then an endpoints file whose action_endpoint has HELPDESK_ACTION_PORT.
action_port="${HELPDESK_ACTION_PORT:-5055}"
endpoints="${HELPDESK_ENDPOINTS:-endpoints.yml}"

.venv/bin/python -m server run actions --actions actions --port "$action_port" &
pids+=($!)

if [ "$mode" = shell ]; then
  # The shell talks to its own Rasa server (REST) on this port.
  .venv/bin/python -m server shell --model models/helpdesk.tar.gz --endpoints "$endpoints" \
    --port "${HELPDESK_RASA_PORT:-5005}"
else
  # The demo helpdesk page with the widget (web/, built by `make`); its requests go to var/web.log.
  .venv/bin/python -m http.server 8000 --directory web >var/web.log 2>&1 &
  pids+=($!)
  echo "Demo page with the chat widget: http://localhost:8000/ (Rasa on port 5005, origins allowed:" \
       "${HELPDESK_ALLOWED_ORIGINS:-credentials.yml})"
  if [ -n "${HELPDESK_STAFF_TOKEN:-}" ]; then
    echo "Staff page (training rehearsal, asks for HELPDESK_STAFF_TOKEN): http://localhost:8000/staff.html"
  else
    echo "Staff page: http://localhost:8000/staff.html (set HELPDESK_STAFF_TOKEN to let staff log in)"
  fi
  .venv/bin/python -m server run --model models/helpdesk.tar.gz --port 5005 \
    --credentials credentials.yml --endpoints "$endpoints"
fi
