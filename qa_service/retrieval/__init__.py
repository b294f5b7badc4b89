"""Retrieval over a `Store`: legs that ask a store for candidates, ranking that knows no store."""
