"""App factory: `create_app(settings)`; run with `uvicorn qa_service.api.app:create_app --factory`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from mcp.server.transport_security import TransportSecuritySettings
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa_service import __version__
from qa_service.answer import Answerer
from qa_service.api import asks as asks_routes
from qa_service.api import errors, examples, head, mcp_http, openai_compat, ops, routes, writes
from qa_service.api.errors import envelope
from qa_service.config import Settings
from qa_service.encoders import Encoder, make_encoder
from qa_service.errors import IndexNotReady
from qa_service.log import configure_logging
from qa_service.mcp_server import build_mcp
from qa_service.retrieval.store import Store
from qa_service.search import SearchService
from qa_service.service import answerer_for, ask_shelf, service_for
from qa_service.store.backend import backend_for

logger = logging.getLogger(__name__)

TAGS = [
    {"name": "search", "description": "Ranked passages with scores, highlights and their documents"},
    {"name": "answers", "description": "An answer sentence with its citation; evidence for a claim"},
    {"name": "documents", "description": "Documents and passages by id"},
    {"name": "write", "description": "Add, replace and delete documents (needs the API key)"},
    {"name": "openai-compatible", "description": "OpenAI's vector-store search shape"},
    {"name": "ops", "description": "Liveness and readiness"},
]


class Metrics:
    """Prometheus metrics in a registry of the app's own (several apps may live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "qa_http_request_seconds", "HTTP request latency", ["route", "method", "status"], registry=self.registry
        )
        self.search_latency = Histogram(
            "qa_search_seconds",
            "Search latency in the core",
            ["mode"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0),
        )
        self.index_size = Gauge("qa_index_items", "Items in the live index", ["kind"], registry=self.registry)


class BodyLimit:
    """Refuse request bodies over the limit with 413, before any parsing.

    Document uploads (POST/PUT under /v1/documents) get `upload_limit`; everything else `limit`.
    """

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int) -> None:
        self.app, self.default_limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] in ("POST", "PUT") and scope["path"].startswith("/v1/documents")
        limit = self.upload_limit + 64_000 if upload else self.default_limit  # room for multipart framing
        length = dict(scope.get("headers") or []).get(b"content-length")
        too_big = envelope(413, "payload_too_large", f"request body exceeds {limit} bytes")
        if length is not None and length.isdigit() and int(length) > limit:
            await too_big(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return msg

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await too_big(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(settings: Settings | None = None, encoder: Encoder | None = None) -> FastAPI:
    """Build the app; the index is loaded in the background at start-up (`/readyz` says when)."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        def load() -> None:
            try:
                enc = encoder or make_encoder(settings.encoder, settings.encoder_threads)
                shelf = app.state.asks = ask_shelf(settings, enc)
                backend = backend_for(settings)

                def trace_asks(svc: SearchService) -> None:
                    # Derived data, traced in the background once a version is served: a request
                    # for asks before it is done waits for it (AskShelf), searches never do.
                    def run() -> None:
                        try:
                            shelf.book(svc.store)
                        except Exception:  # a failed trace is reported on the next request for asks
                            logger.exception("tracing asks failed")

                    threading.Thread(target=run, name="ask-tracer", daemon=True).start()

                def publish(store: Store) -> None:
                    svc = service_for(store, enc, settings)
                    info = store.info()
                    app.state.answerer = answerer_for(svc, settings, shelf)
                    app.state.service = svc  # one assignment: requests see the old or the new store
                    trace_asks(svc)
                    metrics.index_size.labels("passages").set(info.passages)
                    metrics.index_size.labels("documents").set(info.documents)

                first = backend.open(enc.name)
                publish(first)
                info = first.info()
                # The folder's watcher moves this worker to each new version; the database needs none.
                watcher = backend.watch(enc.name, publish, info.version)
                app.state.watcher = watcher
                watcher.start()
                logger.info("ready: %s store %s, encoder %s", info.backend, info.version, enc.name)
            except Exception as e:  # reported by /readyz and as 503s; the process stays up
                app.state.load_error = e
                logger.error("index not loaded: %s", e)

        thread = threading.Thread(target=load, name="index-loader", daemon=True)
        thread.start()
        app.state.loader = thread
        async with mcp.session_manager.run():
            yield
        if getattr(app.state, "watcher", None) is not None:
            app.state.watcher.stop()

    app = FastAPI(
        title="qa-service",
        version=__version__,
        lifespan=lifespan,
        description="Search and question answering over Dutch cabinet-formation documents: the letters sent "
        "to the informateur, the replies and the coalition agreement, with exact sources. "
        'Every error has the body `{"error": {"code", "message", "details"}}`. '
        "Reads are open unless the service sets `QA_READ_API_KEY`; writes need `QA_API_KEY`, sent as "
        "`X-API-Key` or `Authorization: Bearer`.",
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.service = None
    app.state.load_error = None
    app.state.watcher = None
    app.state.asks = None
    errors.install(app)
    app.include_router(ops.router)
    app.include_router(routes.router)
    app.include_router(asks_routes.router)
    app.include_router(openai_compat.router)
    app.include_router(writes.router)

    def openapi() -> dict[str, Any]:
        """FastAPI's document plus what it cannot see: the upload bodies (read by hand) and the key schemes."""
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes, tags=TAGS
            )
            for part, entries in writes.openapi_components().items():
                schema.setdefault("components", {}).setdefault(part, {}).update(entries)
            examples.apply(schema)
            head.document_head_operations(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    def current_answerer() -> Answerer:
        if app.state.service is None:
            raise IndexNotReady("the index is still loading, or failed to load (see /readyz)")
        answerer: Answerer = app.state.answerer
        return answerer

    # MCP over streamable HTTP; stateless, so any worker can answer any request.
    mcp = build_mcp(current_answerer, settings.max_query_chars)
    hosts = settings.mcp_allowed_hosts
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection="*" not in hosts, allowed_hosts=hosts, allowed_origins=settings.cors_origins
    )
    sdk_app = mcp.streamable_http_app(
        streamable_http_path=mcp_http.SDK_PATH, stateless_http=True, json_response=True, transport_security=security
    )
    app.router.routes.extend(mcp_http.routes(sdk_app))

    app.add_middleware(head.HeadAsGet)  # first, so the middleware below see the HEAD request

    @app.middleware("http")
    async def read_key(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """With a read key configured, reads need it (or the write key); health checks stay open."""
        key = settings.read_api_key
        if key is not None and (request.url.path.startswith(("/v1/", "/mcp", "/metrics"))):
            keys = [key.get_secret_value()] + ([settings.api_key.get_secret_value()] if settings.api_key else [])
            if not writes.key_matches(writes.presented_key(request.headers), keys):
                return envelope(401, "unauthorized", "a valid API key is required to read")
        return await call_next(request)

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        t0, method = time.perf_counter(), request.method  # read first: HeadAsGet runs a HEAD as GET inside
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.latency.labels(path, method, str(response.status_code)).observe(time.perf_counter() - t0)
        return response

    web = Path(__file__).resolve().parent.parent / "web"
    app.mount("/static", StaticFiles(directory=web), name="static")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def page() -> FileResponse:
        """The staff web page (no CDN: everything it loads comes from this service)."""
        return FileResponse(web / "index.html", media_type="text/html")

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"], allow_headers=["*"]
        )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes)
    return app


def service_of(app: Any) -> SearchService | None:
    return getattr(app.state, "service", None)
