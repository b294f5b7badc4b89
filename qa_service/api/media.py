"""Request media types: JSON endpoints refuse other bodies with 415, as the upload endpoint does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from starlette.exceptions import HTTPException

from qa_service.api.schemas import ErrorBody

# Documented on every operation whose body is JSON.
UNSUPPORTED: dict[int | str, dict[str, Any]] = {
    415: {"model": ErrorBody, "description": "The body is not JSON (send `content-type: application/json`)"},
}


def media_type(headers: Mapping[str, str]) -> str:
    """The request's media type without parameters, lower case; "" when there is no content-type."""
    return headers.get("content-type", "").split(";")[0].strip().lower()


def is_json(media: str) -> bool:
    """`application/json` or a JSON-based type such as `application/merge-patch+json`."""
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def require_json(request: Request) -> None:
    """Refuse a body that is not declared as JSON, before the schema is checked.

    FastAPI parses a body only when it is declared as JSON; any other body reached the schema as
    raw bytes and was answered "Input should be a valid dictionary", which hides the real mistake.
    A body without a content-type is refused too (FastAPI would not parse it either, and browsers
    send such cross-site posts without a preflight); a request without a body goes on to the
    schema, whose 422 says what is missing.
    """
    media = media_type(request.headers)
    if is_json(media) or (not media and not await request.body()):
        return
    given = f"content-type {media!r}" if media else "no content-type"
    raise HTTPException(415, f"the body must be JSON sent as content-type application/json ({given} given)")
