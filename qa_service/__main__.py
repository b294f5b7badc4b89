"""`python -m qa_service` runs the CLI."""

from qa_service.cli import main

main()
