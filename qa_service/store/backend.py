"""The one place that knows which store serves: `backend_for(settings)`.

`QA_DATABASE_URL` set picks PostgreSQL (`postgres/`), unset the index folder (`folder/`). Callers
get a `Backend` (protocol.py) and never branch on which it is.
"""

from __future__ import annotations

from qa_service.config import Settings
from qa_service.store.protocol import Backend


def backend_for(settings: Settings) -> Backend:
    """The backend the settings choose (cheap: database pools are shared per process and URL)."""
    if settings.database_url is not None and settings.database_url.get_secret_value():
        from qa_service.store.postgres.backend import PostgresBackend

        return PostgresBackend(settings)
    from qa_service.store.folder.backend import FolderBackend

    return FolderBackend(settings)
