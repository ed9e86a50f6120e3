"""Rasa input channels of this project (configured in credentials.yml).

Rasa imports this package when it reads credentials.yml, before it builds its web app, however the
server is started (`rasa run`, `python -m server run`, a container): so the server's protections
(server/__init__.py) are installed here, for every launcher.
"""

import sys

from server import protect_rasa_server

protect_rasa_server(sys.argv[1:])
