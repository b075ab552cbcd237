"""``python -m sandbox.selftest [--backend local|docker] [LANG...]``: run each language's OK program."""

from __future__ import annotations

import argparse
import sys

from sandbox.backend import Backend
from sandbox.selftest import run_all


def make_backend(name: str) -> Backend:
    """The backend called ``name``."""
    if name == "docker":
        from sandbox.docker import DockerBackend

        return DockerBackend()
    from sandbox.local import LocalBackend

    return LocalBackend()


def main(argv: list[str] | None = None) -> int:
    """Print one line per language; exit 1 if any self-test failed."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.selftest", description=__doc__)
    parser.add_argument("--backend", choices=("local", "docker"), default="local")
    parser.add_argument("languages", nargs="*", help="languages to test (default: all)")
    args = parser.parse_args(argv)
    results = run_all(make_backend(args.backend), tuple(args.languages) or None)
    for r in results:
        sys.stdout.write(f"{r.language:<11} {'PASS' if r.passed else 'FAIL'} {r.wall_time_s:6.2f}s  {r.detail}\n")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
