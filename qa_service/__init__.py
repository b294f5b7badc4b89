"""qa_service: search and question answering over Dutch public-policy documents."""

__version__ = "0.1.0"
__all__ = ["__version__"]
