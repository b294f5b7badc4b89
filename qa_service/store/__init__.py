"""Passages -> vectors and a keyword index, on disk and versioned."""
