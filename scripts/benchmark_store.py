"""The two stores at scale: load, index, search latency, HNSW recall, the cost of one write, memory.

    python scripts/benchmark_store.py [--sizes 100000 1000000] [--clustered] [--vector-types vector]
        [--queries 50] [--ef-search 100] [--database-url URL [--reuse]] [--real] [--quick] [--json out.json]

For each size it generates a corpus of letters (`scripts/synthetic_corpus.py`: Dutch-like Zipf
words, senders, dates, vectors in n/100 clusters with --clustered) and loads it into PostgreSQL
through the store's own insert path in batches, with progress (a pgserver of its own in a temp
dir, tuned for the load, unless --database-url names a server; --reuse keeps a database an
earlier run loaded there). Then, with a filter on one sender, one month, or none:

- vector search p50/p95 (top 100, like a retrieval leg): pgvector exact and HNSW with iterative
  scan, HNSW recall@10 against exact search;
- search through SearchService in each mode (hybrid, semantic, keyword; query vector given);
- the keyword leg alone for a common and a median term, bounded and reading every posting;
- adding one letter (5 passages) and deleting it again; database size; a node's resident memory;
- up to --embedded-max passages, the same for the embedded folder store (FAISS + bm25s).

`--real` also runs the dev questions on the bundled corpus through both stores with the E5 model
(needs an E5 folder index at QA_INDEX_DIR and an E5 database at QA_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa_service.chunking import ChunkingSettings, Passage  # noqa: E402
from qa_service.config import Settings  # noqa: E402
from qa_service.corpus import Document  # noqa: E402
from qa_service.retrieval.types import Filters  # noqa: E402
from scripts.synthetic_corpus import KINDS, PER_DOC, Corpus, load_pg, make_corpus  # noqa: E402

LETTER = (
    "Stichting Meetpunt\n\nDen Haag, 3 december 2025\n\nBetreft: Metingen van stikstof\n\n"
    "Geachte heer Van Haersma Buma,\n\n"
    + "\n\n".join(
        f"Wij vragen het kabinet om {i} extra meetpunten voor stikstof en water in de provincie. "
        "De metingen zijn nodig om vergunningen te kunnen verlenen en om boeren zekerheid te geven."
        for i in range(5)
    )
    + "\n\nMet vriendelijke groet,\n\nJan Jansen\nDirecteur Stichting Meetpunt\n"
)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 2)


def timed(fn: Callable[[], Any], n: int) -> dict[str, float]:
    fn()  # warm caches and plans
    ms = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    return {"p50": pct(ms, 0.5), "p95": pct(ms, 0.95)}


def encoder_name(dim: int) -> str:
    from qa_service.encoders import make_encoder

    return make_encoder(f"hashing:{dim}").name


def add_hnsw(url: str, vtype: str, maintenance_mem: str) -> float:
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET maintenance_work_mem = '{maintenance_mem}'")  # the graph must fit, or the build crawls
        conn.execute("SET max_parallel_maintenance_workers = 1")  # leader + 1 worker: both cores
        conn.execute(pg_schema_hnsw(vtype))
        conn.execute("ANALYZE qa_passages")
    return round(time.perf_counter() - t0, 1)


def pg_schema_hnsw(vtype: str) -> str:
    from qa_service.store.postgres import schema as pg_schema

    return pg_schema.hnsw_indexes(vtype)[0]


def write_folder(folder: Path, docs: list[Document], passages: list[Passage], vecs: np.ndarray) -> float:
    from dataclasses import asdict

    from qa_service.store.folder.index import FORMAT_VERSION, write_version

    t0 = time.perf_counter()
    manifest = {
        "format_version": FORMAT_VERSION,
        "version": "synthetic",
        "encoder": encoder_name(vecs.shape[1]),
        "dim": vecs.shape[1],
        "chunking": asdict(ChunkingSettings()),
        "built_at": "",
        "counts": {"documents": len(docs), "passages": len(passages)},
    }
    write_version(folder, docs, passages, vecs, manifest, np.zeros((0, vecs.shape[1]), np.float32), np.zeros((0, 3)))
    return round(time.perf_counter() - t0, 1)


def keyword_leg(url: str, corpus: Corpus, bound: int) -> dict[str, Any]:
    """The keyword leg alone, for the commonest term, a median one and both: with the bound on
    postings read per term (QA_PG_POSTINGS_PER_TERM), and reading every posting."""
    from collections import Counter

    from qa_service.store.keyword import analyze
    from qa_service.store.postgres.schema import make_pool
    from qa_service.store.postgres.store import PostgresStore

    sample = min(len(corpus.word_ids), 20_000)
    df = Counter(t for i in range(sample) for t in set(analyze(corpus.text(i)))).most_common()
    common, median = df[0][0], df[len(df) // 2][0]
    out: dict[str, Any] = {"keyword_common_term_share": round(df[0][1] / sample, 3)}
    pool = make_pool(url, 2, 30)
    for label, cap in (("bounded", bound), ("every_posting", 10**9)):
        store = PostgresStore(pool, None, None, postings_per_term=cap)
        for name, terms in (("common", [common]), ("median", [median]), ("both", [common, median])):
            out[f"pg_keyword_{name}_{label}"] = timed(lambda st=store, ts=terms: st.keyword(ts, 100, Filters()), 5)
    pool.close()
    return out


def settings_for(dim: int, **kw: Any) -> Settings:
    return Settings(encoder=f"hashing:{dim}", cache_dir=Path(tempfile.gettempdir()) / "qa-bench-cache", **kw)


def rss_of(kind: str, target: str, dim: int) -> float:
    """MB resident in a fresh process after it opened a service on the store (and searched once)."""
    code = (
        "import sys; from pathlib import Path; from qa_service.config import Settings; "
        "from qa_service.service import open_service; "
        f"kw = {{'database_url': sys.argv[1]}} if sys.argv[2] == 'pg' else {{'index_dir': Path(sys.argv[1])}}; "
        f"svc = open_service(Settings(encoder='hashing:{dim}', **kw)); svc.search('stikstof meetpunt', min_score=-1); "
        "print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])"
    )
    out = subprocess.run([sys.executable, "-c", code, target, kind], capture_output=True, text=True, check=True)
    return round(int(out.stdout.strip().splitlines()[-1]) / 1024, 1)


def exact_top(vecs: np.ndarray, queries: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[set[int]]:
    """The exact top-k rows (0-based) per query by inner product, among `mask` if given."""
    scores = np.concatenate([vecs[a : a + 200_000] @ queries.T for a in range(0, len(vecs), 200_000)])
    if mask is not None:
        scores[~mask] = -np.inf
    top = np.argpartition(-scores, k, axis=0)[:k]
    return [set(top[:, j].tolist()) for j in range(len(queries))]


def pg_settings(admin: str, maintenance_mem: str, shared_buffers: str, restart: Callable[[], None] | None) -> None:
    """Server settings for a large load and index build (the product leaves them to the DBA)."""
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET maintenance_work_mem = '{maintenance_mem}'")
        conn.execute("ALTER SYSTEM SET max_parallel_maintenance_workers = 1")
        conn.execute("ALTER SYSTEM SET max_wal_size = '8GB'")
        conn.execute("ALTER SYSTEM SET checkpoint_timeout = '30min'")
        if restart is not None:
            conn.execute(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}'")
        conn.execute("SELECT pg_reload_conf()")
    if restart is not None:
        restart()


def bench_size(n: int, args: argparse.Namespace, url_of: Callable[[str], str], work: Path) -> dict[str, Any]:
    import datetime as dt

    import psycopg

    from qa_service.service import apply_changes, open_service
    from qa_service.store.folder.vectors import FaissVectorStore
    from qa_service.store.postgres.schema import make_pool
    from qa_service.store.postgres.store import PostgresStore

    def say(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    out: dict[str, Any] = {"passages": n}
    t0 = time.perf_counter()
    corpus = make_corpus(n, args.dim, clusters=n // 100 if args.clustered else 0, words=args.words)
    out["generate_s"] = round(time.perf_counter() - t0, 1)
    vecs = corpus.vecs
    say(f"{n:,} passages generated in {out['generate_s']} s")
    rng = np.random.default_rng(1)
    near = rng.integers(0, n, args.queries)  # each question is about one passage: its words, a vector near it
    noise = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    queries = noise if not args.clustered else vecs[near] * np.float32(np.sqrt(args.dim) * 2) + noise
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    texts = [corpus.query_words(int(i), rng) for i in near]
    # Filters: one organisation's letters (the 10th most active: ~1% of them) and one month (~4%).
    sender = corpus.senders[min(9, len(corpus.senders) - 1)]
    has_meta = np.array([k != "agreement_section" for k in KINDS])[np.arange(corpus.n_docs) % len(KINDS)]
    sender_doc = np.array([sender.lower() in s.lower() for s in corpus.senders])[corpus.doc_sender] & has_meta
    month = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    day0 = np.datetime64("2024-01-01")
    day = [int((np.datetime64(d) - day0).astype(int)) for d in month]
    month_doc = (corpus.doc_day >= day[0]) & (corpus.doc_day <= day[1]) & has_meta
    filters = {
        "": (Filters(), None),
        "_sender": (Filters(sender=sender), np.repeat(sender_doc, PER_DOC)),
        "_date": (Filters(date_from=month[0], date_to=month[1]), np.repeat(month_doc, PER_DOC)),
    }
    out["filter_share"] = {
        k or "none": round(float(m.mean()), 4) if m is not None else 1.0 for k, (_, m) in filters.items()
    }
    truth = {k: exact_top(vecs, queries, 10, m) for k, (_, m) in filters.items()}
    say("exact top-10 computed")

    def each(fn: Callable[[int], Any]) -> Callable[[], Any]:
        it = iter(range(10**9))
        return lambda: fn(next(it) % args.queries)

    if n <= args.embedded_max:
        flat = FaissVectorStore.from_vectors(vecs)
        allowed = np.flatnonzero(filters["_date"][1])  # type: ignore[arg-type]
        out["faiss_flat"] = timed(each(lambda i: flat.search(queries[i], 100)), args.queries)
        out["faiss_flat_date"] = timed(each(lambda i: flat.search(queries[i], 100, allowed)), args.queries)
        del flat
    urls: dict[str, str] = {}
    for vtype in args.vector_types:
        url = urls[vtype] = url_of(f"syn{n}{vtype}")
        built = None
        with psycopg.connect(url, autocommit=True) as conn:
            if conn.execute("SELECT to_regclass('qa_passages_hnsw') IS NOT NULL").fetchone() == (True,):
                built = conn.execute("SELECT n_passages = %s FROM qa_meta", [len(vecs)]).fetchone()
        reused = bool(args.reuse and built and built[0])
        if reused:  # a database of older code: its schema and indexes up to this code's
            from qa_service.store.postgres.schema import BM25_INDEX, migrate

            with psycopg.connect(url, autocommit=True) as conn:
                migrate(conn, args.dim, vtype)
                for stmt in BM25_INDEX:
                    conn.execute(stmt)
        if not reused:
            say(f"loading {vtype} into {url}")
            load = load_pg(url, corpus, vtype, encoder_name(args.dim), args.batch_docs, args.maintenance_work_mem, say)
            out[f"pg_load_{vtype}"] = load
            say(f"loaded: {load}")
        pool = make_pool(url, 2, 30)

        def leg(st: PostgresStore, f: Filters) -> Callable[[int], Any]:
            def run(i: int) -> Any:
                with st.snapshot():
                    return st.search_passages(queries[i], 100, f)

            return run

        exact = PostgresStore(pool, None, None, vector_search="exact")
        out[f"pg_exact_{vtype}"] = timed(each(leg(exact, Filters())), max(3, args.queries // 10))
        if n <= args.hnsw_max:
            if not reused:
                say("building HNSW")
                out[f"pg_hnsw_build_{vtype}_s"] = add_hnsw(url, vtype, args.maintenance_work_mem)
                say(f"HNSW built in {out[f'pg_hnsw_build_{vtype}_s']} s")
            hnsw = PostgresStore(pool, None, None, ef_search=args.ef_search)
            for key, (f, _) in filters.items():
                out[f"pg_hnsw_{vtype}{key}"] = timed(each(leg(hnsw, f)), args.queries)
                # recall@10 of a top-10 query, and of the best 10 of a top-100 one (what a search leg asks)
                for k, label in ((10, ""), (100, "_of100")):
                    hits = 0
                    for j, q in enumerate(queries):
                        with hnsw.snapshot():
                            _, rows = hnsw.search_passages(q, k, f)
                        hits += len(truth[key][j] & {int(r) - 1 for r in rows[:10]})  # identity rows start at 1
                    out[f"pg_hnsw_{vtype}{key}_recall@10{label}"] = round(hits / (10 * args.queries), 3)
            say(", ".join(f"{k}: {v}" for k, v in out.items() if k.startswith("pg_hnsw")))
        with psycopg.connect(url, autocommit=True) as conn:
            sizes = conn.execute(
                "SELECT pg_database_size(current_database()), pg_total_relation_size('qa_passages'), "
                "pg_total_relation_size('qa_postings'), pg_relation_size('qa_passages_hnsw')"
            ).fetchone()
        out[f"pg_size_{vtype}_mb"] = dict(
            zip(("database", "passages", "postings", "hnsw"), (round(int(x or 0) / 2**20) for x in sizes), strict=True)
        )
        pool.close()
    # Search through the service (query vector given: the hashing encoder would not match these
    # vectors, and encoding is not the store's cost), every mode, with and without a filter.
    url = urls[args.vector_types[0]]
    pg_s = settings_for(args.dim, database_url=url, pg_ef_search=args.ef_search)
    pg_svc = open_service(pg_s)
    for mode in ("hybrid", "semantic", "keyword"):
        for key, (f, _) in filters.items():
            out[f"pg_{mode}{key}"] = timed(
                each(lambda i, m=mode, fl=f: pg_svc.search(texts[i], 10, m, fl, min_score=-1, query_vector=queries[i])),
                args.queries,
            )
        say(f"{mode}: " + ", ".join(f"{k}: {v}" for k, v in out.items() if k.startswith(f"pg_{mode}")))
    out.update(keyword_leg(url, corpus, pg_s.pg_postings_per_term))
    enc_ms: list[float] = []
    for i in range(3):
        t1 = time.perf_counter()
        ch = apply_changes(pg_s, pg_svc.encoder, add_text=(f"meet{i}.txt", LETTER.replace("5", str(i)), {}))
        enc_ms.append((time.perf_counter() - t1) * 1000)
        apply_changes(pg_s, pg_svc.encoder, remove=set(ch.added))
    out["pg_add_one_letter_ms"] = round(sorted(enc_ms)[1], 1)
    out["pg_node_rss_mb"] = rss_of("pg", url, args.dim)
    if n <= args.embedded_max:
        folder = work / f"folder{n}"
        docs, passages = corpus.documents(0, corpus.n_docs)
        out["folder_write_s"] = write_folder(folder, docs, passages, vecs)
        f_s = settings_for(args.dim, index_dir=folder)
        f_svc = open_service(f_s)
        out["folder_hybrid"] = timed(
            each(lambda i: f_svc.search(texts[i], 10, min_score=-1, query_vector=queries[i])), args.queries
        )
        t1 = time.perf_counter()
        ch = apply_changes(f_s, f_svc.encoder, add_text=("meet.txt", LETTER, {}))
        out["folder_add_one_letter_ms"] = round((time.perf_counter() - t1) * 1000, 1)
        out["folder_node_rss_mb"] = rss_of("folder", str(folder), args.dim)
        del f_svc
        shutil.rmtree(folder, ignore_errors=True)
    out["total_s"] = round(time.perf_counter() - t0, 1)
    return out


def real_corpus(queries_file: Path) -> dict[str, Any]:
    """Dev questions on the bundled corpus, E5, both stores: search p50/p95, vectors cached."""
    from qa_service.service import open_service

    qs = [json.loads(x)["query"] for x in queries_file.read_text(encoding="utf-8").splitlines() if x.strip()]
    base = Settings()
    out: dict[str, Any] = {}
    folder = open_service(Settings(database_url=None))
    for name, svc in (("folder", folder), ("postgres", open_service(base, folder.encoder))):
        for q in qs:
            svc.encode_query(q)  # cached: the figures are the store's share
        it = iter(range(10**9))
        out[name] = timed(lambda s=svc, i=it: s.search(qs[next(i) % len(qs)], top_k=10), len(qs) * 3)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--vector-types", nargs="+", default=["vector", "halfvec"])
    ap.add_argument("--ef-search", type=int, default=100)
    ap.add_argument("--words", type=int, default=60, help="words per synthetic passage (about 45%% function words)")
    ap.add_argument("--clustered", action="store_true", help="vectors in clusters (n/100), queries near them")
    ap.add_argument("--hnsw-max", type=int, default=10_000_000, help="largest size to build HNSW at")
    ap.add_argument("--embedded-max", type=int, default=200_000, help="largest size to write a folder at")
    ap.add_argument("--batch-docs", type=int, default=2000, help="documents per load transaction")
    ap.add_argument("--maintenance-work-mem", default="4GB", help="for the index builds (HNSW must fit in it)")
    ap.add_argument("--shared-buffers", default="3GB", help="for the temp pgserver (restarted with it)")
    ap.add_argument("--database-url", help="a server to create benchmark databases on (default: a temp pgserver)")
    ap.add_argument("--real", action="store_true", help="also the bundled corpus, E5, both stores")
    ap.add_argument(
        "--reuse", action="store_true", help="keep a database of an earlier run (same size and seed) and measure again"
    )
    ap.add_argument("--quick", action="store_true", help="2,000 clustered passages, 3 queries, `vector`: a smoke test")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.queries, args.vector_types, args.clustered = [2000], 3, ["vector"], True
        args.shared_buffers = args.maintenance_work_mem = "128MB"
    work = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    srv = None
    admin = args.database_url
    restart = None
    if admin is None and args.sizes:
        import pgserver
        from pgserver._commands import pg_ctl

        srv = pgserver.get_server(work / "pg", cleanup_mode="delete")
        admin = srv.get_uri()
        pgdata = work / "pg"

        def restart() -> None:
            pg_ctl(["-w", "restart"], pgdata=pgdata, user=srv.system_user, timeout=120)

    import psycopg

    def url_of(name: str) -> str:
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not (exists and args.reuse):
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
                conn.execute(f"CREATE DATABASE {name}")
        return str(psycopg.conninfo.make_conninfo(admin, dbname=name))

    results: dict[str, Any] = {
        "sizes": [],
        "cpus": os.cpu_count(),
        "load": os.getloadavg()[0],
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "argv": argv if argv is not None else sys.argv[1:],
    }
    try:
        if srv is not None:  # a server of our own: tune it (a given one is left as it is)
            pg_settings(admin, args.maintenance_work_mem, args.shared_buffers, restart)
        if args.real:
            results["real"] = real_corpus(ROOT / "tests" / "data" / "dev.jsonl")
            print(json.dumps({"real": results["real"]}), flush=True)
        for n in args.sizes:
            r = bench_size(n, args, url_of, work)
            results["sizes"].append(r)
            results["load_after"] = os.getloadavg()[0]
            print(json.dumps(r), flush=True)
    finally:
        if srv is not None:
            if restart is not None:  # pgserver tracks the first postmaster only: stop the restarted one
                pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=srv.system_user, timeout=120)
            srv.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
