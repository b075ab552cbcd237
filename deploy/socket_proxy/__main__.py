"""Run the Docker socket proxy: ``python -m socket_proxy`` (in the image) or ``python -m deploy.socket_proxy``.

Settings come from the environment: RLVR_PROXY_LISTEN (host:port, default 0.0.0.0:2375),
RLVR_PROXY_UPSTREAM (default /var/run/docker.sock) and RLVR_PROXY_IMAGES (comma-separated
runner images that may be started, default rlvr-runner:latest).
"""

from __future__ import annotations

import logging
import os

from .rules import DEFAULT_IMAGES
from .server import ProxyServer

DEFAULT_LISTEN = "0.0.0.0:2375"
DEFAULT_UPSTREAM = "/var/run/docker.sock"


def main() -> None:
    """Serve until killed."""
    logging.basicConfig(level=os.environ.get("RLVR_PROXY_LOG_LEVEL", "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    host, _, port = os.environ.get("RLVR_PROXY_LISTEN", DEFAULT_LISTEN).rpartition(":")
    upstream = os.environ.get("RLVR_PROXY_UPSTREAM", DEFAULT_UPSTREAM)
    images = frozenset(i.strip() for i in os.environ.get("RLVR_PROXY_IMAGES", ",".join(DEFAULT_IMAGES)).split(",")
                       if i.strip())
    with ProxyServer((host, int(port)), upstream, images) as server:
        logging.getLogger("rlvr.socket_proxy").info(
            "listening on %s:%s, forwarding allowed calls to %s; runner images: %s",
            host, port, upstream, ", ".join(sorted(images)))
        server.serve_forever()


if __name__ == "__main__":
    main()
