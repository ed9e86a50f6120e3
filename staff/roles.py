"""Who a message comes from, as the channels mark it and the actions read it.

A channel that knows the sender is staff puts `"staff": true` into the message's metadata
(channels/staff.py); the rehearsal action accepts only that mark (actions/rehearsal.py `is_staff`).
This module is imported by both, and imports neither Rasa nor the Rasa SDK.
"""

# The metadata key of the staff mark.
STAFF_METADATA_KEY = "staff"
