"""App factory: `create_app(settings)`; run with `uvicorn qa_service.api.app:create_app --factory`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from mcp.server.transport_security import TransportSecuritySettings
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa_service import __version__
from qa_service.answer import Answerer
from qa_service.api import errors, openai_compat, routes
from qa_service.api.errors import envelope
from qa_service.config import Settings
from qa_service.encoders import Encoder
from qa_service.log import configure_logging
from qa_service.mcp_server import build_mcp
from qa_service.search import SearchService
from qa_service.service import open_service

logger = logging.getLogger(__name__)


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
    """Refuse request bodies over `limit` bytes with 413, before any parsing."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        too_big = envelope(413, "payload_too_large", f"request body exceeds {self.limit} bytes")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await too_big(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
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
                svc = open_service(settings, encoder)
                app.state.answerer = Answerer(svc, min_similarity=settings.min_answer_score)
                app.state.service = svc
                metrics.index_size.labels("passages").set(len(svc.index.passages))
                metrics.index_size.labels("documents").set(len(svc.index.documents))
                logger.info("ready: index %s, encoder %s", svc.index.version, svc.encoder.name)
            except Exception as e:  # reported by /readyz and as 503s; the process stays up
                app.state.load_error = e
                logger.error("index not loaded: %s", e)

        thread = threading.Thread(target=load, name="index-loader", daemon=True)
        thread.start()
        app.state.loader = thread
        async with mcp.session_manager.run():
            yield

    app = FastAPI(
        title="qa-service",
        version=__version__,
        lifespan=lifespan,
        description="Search and question answering over Dutch cabinet-formation documents. "
        'Every error has the body `{"error": {"code", "message", "details"}}`.',
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.service = None
    app.state.load_error = None
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(openai_compat.router)

    def current_answerer() -> Answerer:
        if app.state.service is None:
            raise RuntimeError("the index is not loaded yet")
        answerer: Answerer = app.state.answerer
        return answerer

    # MCP over streamable HTTP; stateless, so any worker can answer any request.
    mcp = build_mcp(current_answerer)
    hosts = settings.mcp_allowed_hosts
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection="*" not in hosts, allowed_hosts=hosts, allowed_origins=settings.cors_origins
    )
    app.mount(
        "/mcp",
        mcp.streamable_http_app(
            streamable_http_path="/", stateless_http=True, json_response=True, transport_security=security
        ),
    )

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        t0 = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.latency.labels(path, request.method, str(response.status_code)).observe(time.perf_counter() - t0)
        return response

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"], allow_headers=["*"]
        )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app


def service_of(app: Any) -> SearchService | None:
    return getattr(app.state, "service", None)
