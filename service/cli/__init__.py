"""The ``rlvr`` command line: serve the API; score, check and explain in-process or against a server.

``app`` is the console entry point (``rlvr = "service.cli:app"``); ``python -m service`` runs ``main``.
"""

from service.cli.commands import app, main

__all__ = ["app", "main"]
