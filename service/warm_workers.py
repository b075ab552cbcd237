"""Imported first by the verifier workers' fork server: the built-in verifiers warmed once, for every worker.

Every worker is forked from that server, so it starts with the parser and sympy state warm
and shared copy-on-write (see ``service.pool``). The warm heap never becomes garbage: frozen
out of the collector, a full collection in a worker walks only what scoring made since.
"""

import gc

from rewards import default_registry
from service.pool import warm_up

warm_up(default_registry(plugins=False))
gc.freeze()
