"""Rasa input channels of this project (configured in credentials.yml).

Rasa imports this package when it reads credentials.yml, before it builds its web app, however the
server is started (`rasa run`, `python -m server run`, a container): so the server-wide protection
below holds for every launcher.
"""

from server.root_route import hide_the_version

hide_the_version()
