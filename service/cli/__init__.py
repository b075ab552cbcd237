"""The ``rlvr`` command line (``rlvr = "service.cli:app"``; ``python -m service`` runs ``main``)."""

from service.cli.commands import app, main

__all__ = ["app", "main"]
