"""Corpus files -> documents: parsing, cleaning and metadata of letter bundles and agreements."""

from qa_service.corpus.loader import load_corpus, parse_file
from qa_service.corpus.models import Document, Paragraph

__all__ = ["Document", "Paragraph", "load_corpus", "parse_file"]
