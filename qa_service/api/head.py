"""HEAD wherever GET is served: the GET answer's status and headers without its body (RFC 9110 9.3.2).

FastAPI's routes answer only the methods they name, so `HEAD /v1/documents` and `HEAD /metrics`
were 405s while GET worked. A HEAD request to a path that serves GET but no HEAD of its own is
run as that GET with the body dropped, so the headers (content-length included) are exactly
GET's. The OpenAPI document lists these HEAD operations and a 405's `Allow` names HEAD with GET,
so the two still agree.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def serves(scope: Scope, method: str) -> bool:
    """Does a route of the app (not a mounted app, which answers its own methods) take `method` here?"""
    probe = {**scope, "method": method}
    routes = [r for r in scope["app"].router.routes if not isinstance(r, Mount)]
    return any(r.matches(probe)[0] == Match.FULL for r in routes)


class HeadAsGet:
    """Answer HEAD as GET without the body, where a GET route exists and no HEAD route does.

    Added before the other middleware, so they (metrics, the read key) still see a HEAD request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or serves(scope, "HEAD") or not serves(scope, "GET"):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        scope["method"] = "GET"  # in place: the router fills in this scope's route for the metrics
        try:
            await self.app(scope, receive, without_body)
        finally:
            scope["method"] = "HEAD"


def document_head_operations(schema: dict[str, Any]) -> None:
    """Add a HEAD operation to every path of an OpenAPI document that has GET and no HEAD, in place.

    Each declares the GET operation's parameters and status codes, with no content: a HEAD
    answer never has a body.
    """
    for item in schema["paths"].values():
        get = item.get("get")
        if get is None or "head" in item:
            continue
        item["head"] = {
            "tags": get.get("tags", []),
            "summary": f"{get.get('summary', get['operationId'])} (HEAD)",
            "description": "As GET, without a body: the same status and headers.",
            "operationId": f"{get['operationId']}_head",
            "parameters": get.get("parameters", []),
            "responses": {
                code: {"description": f"{r.get('description', '')} (as GET, without a body)".strip()}
                for code, r in get["responses"].items()
            },
        }
