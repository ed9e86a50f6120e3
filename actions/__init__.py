"""Rasa SDK actions. The action server imports this package however it is started (`rasa run
actions`, `python -m server run actions`): it installs the action server's protections."""

from server import protect_action_server

protect_action_server()
