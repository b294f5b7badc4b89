"""`/mcp` on the API app: MCP over streamable HTTP, stateless with JSON responses, so POST only.

The SDK's app was mounted at `/mcp` with its route at `/`: `/mcp` then answered with Starlette's
slash redirect, whose absolute `http://host/mcp/` breaks behind a TLS proxy, and a GET opened an
SSE stream that a stateless server never writes to (it stayed open until the client gave up).
Here both paths are routes of the API app taking POST only, so any other method gets the API's
405 envelope with `Allow: POST` at once (the MCP spec lets a server without a GET stream do so).
"""

from __future__ import annotations

from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

PATHS = ("/mcp", "/mcp/")
# The one path the SDK's app routes; both of ours are handed to it there.
SDK_PATH = "/mcp"


class _ToSdk:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].rstrip("/")  # keeps a proxy's root_path in front
        await self.app({**scope, "path": path, "raw_path": path.encode()}, receive, send)


def routes(sdk_app: ASGIApp) -> list[Route]:
    """POST-only routes at `/mcp` and `/mcp/` for the SDK's app built with `streamable_http_path=SDK_PATH`."""
    endpoint = _ToSdk(sdk_app)
    return [Route(path, endpoint=endpoint, methods=["POST"], include_in_schema=False) for path in PATHS]
