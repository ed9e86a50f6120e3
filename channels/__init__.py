"""Rasa input channels of this project (configured in credentials.yml)."""
