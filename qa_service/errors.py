"""Exceptions of the core, each with a stable `code` that the faces (CLI, HTTP) map once.

QAServiceError
├── ConfigurationError      bad settings or a missing optional dependency
├── InvalidQuery            a request the core cannot answer as asked (400)
├── NotFound                an unknown document or passage id (404)
├── IndexNotFound           no built index at the configured place (503)
├── IndexMismatch           the index was built with other settings (503)
├── IndexNotReady           the service has not loaded an index yet (503)
├── StoreUnavailable        the database cannot be reached or went away (503)
├── ReadOnlyStore           a write sent to a node whose database is a read-only replica (409)
├── Unauthorized            no or a wrong API key (401)
│   └── WritesDisabled      no write key configured (403)
├── InvalidMultipart        an upload body that cannot be parsed as multipart/form-data (400)
├── UnsupportedDocument     a file that is not what its extension says, or of no supported type (415)
├── EmptyDocument           a file with no text, or too little, to index (422)
├── UnknownFilter           a filter value that names nothing in the corpus: a sender, a chapter (422)
└── TooLarge                a file over the upload limit (413)
"""

from __future__ import annotations

from typing import Any, ClassVar


class QAServiceError(Exception):
    code: ClassVar[str] = "error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigurationError(QAServiceError):
    code = "configuration_error"


class InvalidQuery(QAServiceError):
    code = "invalid_query"


class NotFound(QAServiceError):
    code = "not_found"


class IndexNotFound(QAServiceError):
    code = "index_not_found"


class IndexMismatch(QAServiceError):
    code = "index_mismatch"


class IndexNotReady(QAServiceError):
    code = "index_not_ready"


class Unauthorized(QAServiceError):
    code = "unauthorized"


class WritesDisabled(Unauthorized):
    code = "writes_disabled"


class InvalidMultipart(QAServiceError):
    code = "invalid_multipart"


class UnsupportedDocument(QAServiceError):
    code = "unsupported_document"


class EmptyDocument(QAServiceError):
    code = "empty_document"


class TooLarge(QAServiceError):
    code = "payload_too_large"


class StoreUnavailable(QAServiceError):
    code = "store_unavailable"


class ReadOnlyStore(QAServiceError):
    code = "read_only"


class UnknownFilter(QAServiceError):
    code = "unknown_filter"
