"""``python -m service`` is the ``rlvr`` command."""

from service.cli import main

main()
