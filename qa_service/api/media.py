"""Request media types: JSON endpoints refuse other bodies with 415, as the upload endpoint does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
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


def _require_utf8(body: bytes) -> None:
    """Refuse JSON that is not UTF-8 (RFC 8259), as the upload endpoint's parser does.

    FastAPI parses with `json.loads`, which detects UTF-16 and UTF-32 and skips a UTF-8 byte-order
    mark, so such bodies were answered here though the README (and the JSON upload) refuse them.
    A JSON text has no NUL in its first bytes, so the detection cannot mistake a UTF-8 body.
    """
    encoding = json.detect_encoding(body) if body else "utf-8"
    if encoding != "utf-8":
        found = "UTF-8 with a byte-order mark" if encoding == "utf-8-sig" else encoding.upper()[:6]
        msg = f"the body is {found}; JSON must be UTF-8 without a byte-order mark (RFC 8259)"
        raise RequestValidationError([{"loc": ("body",), "msg": msg, "type": "json_invalid"}])


async def require_json(request: Request) -> None:
    """Refuse a body that is not declared as JSON, before the schema is checked.

    FastAPI parses a body only when it is declared as JSON; any other body reached the schema as
    raw bytes and was answered "Input should be a valid dictionary", which hides the real mistake.
    A body without a content-type is refused too (FastAPI would not parse it either, and browsers
    send such cross-site posts without a preflight); a request without a body goes on to the
    schema, whose 422 says what is missing.
    """
    media = media_type(request.headers)
    if is_json(media):
        _require_utf8(await request.body())
        return
    if not media and not await request.body():
        return
    given = f"content-type {media!r}" if media else "no content-type"
    raise HTTPException(415, f"the body must be JSON sent as content-type application/json ({given} given)")
