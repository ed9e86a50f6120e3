"""Where conversations are kept: Rasa's SQL tracker store, with personal data redacted before it is
written and conversations deleted after the retention period or on request."""

import sys

from server import protect_rasa_server

# Rasa imports the tracker store named in endpoints.yml in every server: the protections hold even
# with channels other than this project's (server/__init__.py).
protect_rasa_server(sys.argv[1:])
