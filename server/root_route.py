"""`GET /` of the Rasa server says it is up, not which Rasa it is.

Rasa answers "Hello from Rasa: 3.6.21" there, which tells a prober which published vulnerabilities
to try. Rasa builds that route with `rasa.server.add_root_route`, looked up when the web app is
made, so replacing it before then is enough (channels/__init__.py does, for every launcher).
"""

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse


def add_root_route_without_version(app: Sanic) -> None:
    @app.get("/")
    async def hello(request: Request) -> HTTPResponse:
        return response.text("ok")


def hide_the_version() -> None:
    import rasa.server  # here, not at import: the staff tools import channels/ without a server

    rasa.server.add_root_route = add_root_route_without_version
