"""The two stores at scale: search latency, HNSW recall, the cost of one write, the memory of a node.

    python scripts/benchmark_store.py [--sizes 100000 1000000] [--dim 384] [--queries 50]
        [--database-url URL] [--hnsw-max 200000] [--embedded-max 200000] [--real] [--json out.json]

For each size it generates a corpus (documents of 10 passages of synthetic Dutch-looking text,
random unit vectors, clustered with --clustered; no sentence rows) and loads it into the embedded folder format and into
PostgreSQL (a pgserver in a temp dir unless --database-url names an empty database). Then:

- vector search p50/p95 (top 100, like a retrieval leg), unfiltered and with a 10% kind filter:
  FAISS flat, pgvector exact (`vector`, `halfvec`) and pgvector HNSW with iterative scan, with
  HNSW recall@10 against exact;
- hybrid search p50/p95 through SearchService (hashing encoder: encoding costs ~0), both stores;
- adding one letter (5 passages) and deleting it again through each store's write path;
- resident memory of a process that opened a service on each store.

`--real` also runs the dev questions on the bundled corpus through both stores with the E5 model
(needs an E5 folder index at QA_INDEX_DIR and an E5 database at QA_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
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
from qa_service.corpus.models import Paragraph  # noqa: E402
from qa_service.retrieval.types import Filters  # noqa: E402

SYLLABLES = (
    "ver ge be on over door zorg werk wet stel baar heid ing lijk kabi net raad huis land boer stik stof".split()
)
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


def synthetic(
    n_passages: int, dim: int, seed: int = 0, clusters: int = 0, words: int = 40
) -> tuple[list[Document], list[Passage], np.ndarray]:
    rng = random.Random(seed)
    vocab = [rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(SYLLABLES) for _ in range(20_000)]
    cum = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(vocab))))  # Zipf-like, as words are
    docs: list[Document] = []
    passages: list[Passage] = []
    kinds = ["letter"] * 6 + ["attachment"] * 3 + ["agreement_section"]
    for d in range(n_passages // 10):
        paras = []
        pos = 0
        for _ in range(10):
            text = " ".join(rng.choices(vocab, cum_weights=cum, k=words)) + "."
            paras.append(Paragraph(text, "para", pos, pos + len(text)))
            pos += len(text) + 2
        doc = Document(
            id=f"syn-{d}",
            kind=kinds[d % 10],  # type: ignore[arg-type]
            source_file=f"syn-{d // 100}.txt",
            line_start=1,
            line_end=20,
            paragraphs=paras,
            sender=f"Organisatie {d % 997}",
            date=f"2025-{1 + d % 12:02d}-{1 + d % 28:02d}",
            title=f"Brief {d}",
        )
        doc._text = "\n\n".join(p.text for p in paras)
        docs.append(doc)
        for i, p in enumerate(paras):
            passages.append(Passage(f"syn-{d}-p{i}", doc.id, i, p.text, p.char_start, p.char_end))
    g = np.random.default_rng(seed)
    vecs = g.standard_normal((len(passages), dim), dtype=np.float32)
    if clusters:
        # Embeddings of real text cluster by topic; uniform random vectors are HNSW's worst case.
        centers = g.standard_normal((clusters, dim), dtype=np.float32) / np.float32(0.8)
        vecs += centers[g.integers(0, clusters, len(passages))]
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return docs, passages, vecs


def encoder_name(dim: int) -> str:
    from qa_service.encoders import make_encoder

    return make_encoder(f"hashing:{dim}").name


def load_pg(url: str, docs: list[Document], passages: list[Passage], vecs: np.ndarray, vtype: str) -> float:
    """Load the synthetic corpus with the store's own insert path, in one transaction."""
    from dataclasses import asdict

    from psycopg.types.json import Jsonb

    from qa_service.store.postgres import rows as pg_rows
    from qa_service.store.postgres import schema as pg_schema
    from qa_service.store.prepare import Prepared, embedding_text

    t0 = time.perf_counter()
    pool = pg_schema.make_pool(url, 2, 30)
    by_id = {d.id: d for d in docs}
    prep = Prepared(
        docs,
        passages,
        [embedding_text(by_id[p.doc_id], p) for p in passages],
        vecs,
        np.zeros((0, 3), np.int64),
        np.zeros((0, vecs.shape[1]), np.float32),
    )
    with pool.connection() as conn:
        pg_schema.migrate(conn, vecs.shape[1], vtype)
        with conn.transaction():
            conn.execute(
                "INSERT INTO qa_meta (id, encoder, dim, vector_type, chunking, format, version) "
                "VALUES (1, %s, %s, %s, %s, %s, 'synthetic')",
                [encoder_name(vecs.shape[1]), vecs.shape[1], vtype, Jsonb(asdict(ChunkingSettings())), 1],
            )
            added = pg_rows.insert(conn, prep, vtype)
            conn.execute(
                "UPDATE qa_meta SET n_documents = %s, n_passages = %s, total_length = %s, generation = 1",
                [added["documents"], added["passages"], added["length"]],
            )
        conn.execute("VACUUM ANALYZE")
    pool.close()
    return round(time.perf_counter() - t0, 1)


def add_hnsw(url: str, vtype: str) -> float:
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(pg_schema_hnsw(vtype))
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


def keyword_leg(url: str, passages: list[Passage], bound: int) -> dict[str, Any]:
    """The keyword leg alone, for the commonest term, a median one and both: with the bound on
    postings read per term (QA_PG_POSTINGS_PER_TERM), and reading every posting."""
    from collections import Counter

    from qa_service.store.keyword import analyze
    from qa_service.store.postgres.schema import make_pool
    from qa_service.store.postgres.store import PostgresStore

    df = Counter(t for p in passages[:20_000] for t in set(analyze(p.text))).most_common()
    common, median = df[0][0], df[len(df) // 2][0]
    out: dict[str, Any] = {"keyword_common_term_share": round(df[0][1] / min(len(passages), 20_000), 3)}
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


def bench_size(n: int, args: argparse.Namespace, url_of: Callable[[str], str], work: Path) -> dict[str, Any]:
    from qa_service.service import apply_changes, open_service
    from qa_service.store.folder.vectors import FaissVectorStore

    out: dict[str, Any] = {"passages": n}
    docs, passages, vecs = synthetic(n, args.dim, clusters=n // 100 if args.clustered else 0, words=args.words)
    rng = np.random.default_rng(1)
    queries = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    if args.clustered:  # questions near texts, as real questions are
        queries = vecs[rng.integers(0, n, args.queries)] * np.float32(np.sqrt(args.dim) * 2) + queries
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    qi = iter(range(10**9))

    def next_q() -> np.ndarray:
        return queries[next(qi) % len(queries)]

    flat = FaissVectorStore.from_vectors(vecs)
    kinds = np.array([d.kind for d in docs for _ in range(10)])
    allowed = np.flatnonzero(kinds == "agreement_section")
    out["faiss_flat"] = timed(lambda: flat.search(next_q(), 100), args.queries)
    out["faiss_flat_filtered"] = timed(lambda: flat.search(next_q(), 100, allowed), args.queries)
    exact_top10 = [set(flat.search(q, 10)[1].tolist()) for q in queries]
    flt = Filters(kind=["agreement_section"])
    urls: dict[str, str] = {}
    for vtype in args.vector_types:
        url = urls[vtype] = url_of(f"syn{n}{vtype}")
        out[f"pg_load_{vtype}_s"] = load_pg(url, docs, passages, vecs, vtype)
        from qa_service.store.postgres.schema import make_pool
        from qa_service.store.postgres.store import PostgresStore

        pool = make_pool(url, 2, 30)
        store = PostgresStore(pool, None, None, vector_search="exact")

        def leg(st: PostgresStore, f: Filters) -> Callable[[], Any]:
            def run() -> Any:
                with st.snapshot():
                    return st.search_passages(next_q(), 100, f)

            return run

        out[f"pg_exact_{vtype}"] = timed(leg(store, Filters()), max(5, args.queries // 5))
        out[f"pg_exact_{vtype}_filtered"] = timed(leg(store, flt), max(5, args.queries // 5))
        if n <= args.hnsw_max:
            out[f"pg_hnsw_build_{vtype}_s"] = add_hnsw(url, vtype)
            hnsw = PostgresStore(pool, None, None, ef_search=args.ef_search)
            out[f"pg_hnsw_{vtype}"] = timed(leg(hnsw, Filters()), args.queries)
            out[f"pg_hnsw_{vtype}_filtered"] = timed(leg(hnsw, flt), args.queries)
            hits = 0
            for q, truth in zip(queries, exact_top10, strict=True):
                with hnsw.snapshot():
                    _, rows = hnsw.search_passages(q, 10, Filters())
                hits += len(truth & {int(r) - 1 for r in rows})  # identity rows start at 1
            out[f"pg_hnsw_{vtype}_recall@10"] = round(hits / (10 * len(queries)), 3)
        pool.close()
    # Hybrid search and one write through each store, with the first vector type.
    url = urls[args.vector_types[0]]
    pg_s = settings_for(args.dim, database_url=url)
    words = " ".join(p.text.split()[3] for p in passages[:3])
    pg_svc = open_service(pg_s)
    out["pg_hybrid_search"] = timed(lambda: pg_svc.search(words, top_k=10, min_score=-1), max(5, args.queries // 5))
    out.update(keyword_leg(url, passages, pg_s.pg_postings_per_term))
    enc_ms: list[float] = []
    for i in range(3):
        t0 = time.perf_counter()
        ch = apply_changes(pg_s, pg_svc.encoder, add_text=(f"meet{i}.txt", LETTER.replace("5", str(i)), {}))
        enc_ms.append((time.perf_counter() - t0) * 1000)
        apply_changes(pg_s, pg_svc.encoder, remove=set(ch.added))
    out["pg_add_one_letter_ms"] = round(sorted(enc_ms)[1], 1)
    out["pg_node_rss_mb"] = rss_of("pg", url, args.dim)
    if n <= args.embedded_max:
        folder = work / f"folder{n}"
        out["folder_write_s"] = write_folder(folder, docs, passages, vecs)
        f_s = settings_for(args.dim, index_dir=folder)
        f_svc = open_service(f_s)
        out["folder_hybrid_search"] = timed(lambda: f_svc.search(words, top_k=10, min_score=-1), args.queries)
        t0 = time.perf_counter()
        ch = apply_changes(f_s, f_svc.encoder, add_text=("meet.txt", LETTER, {}))
        out["folder_add_one_letter_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        out["folder_node_rss_mb"] = rss_of("folder", str(folder), args.dim)
        del f_svc
        shutil.rmtree(folder, ignore_errors=True)
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
    ap.add_argument("--words", type=int, default=40, help="words per synthetic passage")
    ap.add_argument("--clustered", action="store_true", help="vectors in clusters (n/100), queries near them")
    ap.add_argument("--hnsw-max", type=int, default=200_000, help="largest size to build HNSW at")
    ap.add_argument("--embedded-max", type=int, default=200_000, help="largest size to write a folder at")
    ap.add_argument("--database-url", help="a server to create benchmark databases on (default: a temp pgserver)")
    ap.add_argument("--real", action="store_true", help="also the bundled corpus, E5, both stores")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    srv = None
    admin = args.database_url
    if admin is None and args.sizes:
        import pgserver

        srv = pgserver.get_server(work / "pg", cleanup_mode="delete")
        admin = srv.get_uri()
    import psycopg

    def url_of(name: str) -> str:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        return str(psycopg.conninfo.make_conninfo(admin, dbname=name))

    results: dict[str, Any] = {"sizes": [], "cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    try:
        if args.real:
            results["real"] = real_corpus(ROOT / "tests" / "data" / "dev.jsonl")
            print(json.dumps({"real": results["real"]}), flush=True)
        for n in args.sizes:
            r = bench_size(n, args, url_of, work)
            results["sizes"].append(r)
            print(json.dumps(r), flush=True)
    finally:
        if srv is not None:
            srv.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
