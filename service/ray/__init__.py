"""rlvr under Ray Serve: the deployment (app), the HTTP proxy callback (proxy), the shared session store (sessions)."""
