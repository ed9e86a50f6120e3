"""The helpdesk's knowledge: data/knowledge read, checked against its source documents and rendered.

Used by the Rasa SDK actions (actions/), the Rasa server's own fallback (server/), the channels and
the staff tools; it imports neither Rasa nor the Rasa SDK, so each of them can use it.
"""
