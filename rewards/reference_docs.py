"""docs/verifiers/: the per-verifier reference pages, generated from what ``GET /v1/verifiers`` publishes.

Each built-in verifier's page holds a generated block (kind, parameters with type, default
and description, the reference's JSON Schema and examples) between two markers; prose
written by hand around it is kept. ``python -m rewards.reference_docs`` rewrites the
blocks (``make verifier-docs``); ``--check`` exits 1 when a page is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rewards.registry import default_registry

DOCS = Path(__file__).resolve().parent.parent / "docs" / "verifiers"
BEGIN = "<!-- generated from GET /v1/verifiers by `make verifier-docs`: do not edit by hand -->"
END = "<!-- end of the generated reference -->"
INDEX = "README.md"


def pages() -> dict[str, str]:
    """File name → the text it must have, for every built-in verifier and the index."""
    out = {}
    infos = [spec.describe() for spec in default_registry(plugins=False)]
    for info in infos:
        name = f"{info['name']}.md"
        path = DOCS / name
        current = path.read_text() if path.is_file() else f"# `{info['name']}`\n\n{info['description']}\n"
        out[name] = with_block(current, block(info))
    out[INDEX] = index(infos)
    return out


def with_block(text: str, generated: str) -> str:
    """``text`` with its generated block replaced by ``generated`` (appended when it has none)."""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + generated + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + generated + "\n"


def block(info: dict[str, Any]) -> str:
    """The generated reference of one verifier, from its ``/v1/verifiers`` entry."""
    kind = "heavy: worker processes" if info["heavy"] else "blocking: a sandbox slot" if info["blocking"] else "light"
    lines = [
        BEGIN,
        "## Reference",
        "",
        f"{info['description']}",
        "",
        f"Scope: {info['scope']}; runs {kind}; source: {info['source']}.",
        "",
        "### Parameters",
        "",
    ]
    if info["params"]:
        lines += ["| name | type | default | description |", "|---|---|---|---|"]
        for p in info["params"]:
            default = "required" if p["required"] else f"`{json.dumps(p['default'])}`"
            lines.append(f"| `{p['name']}` | `{_cell(p['type'])}` | {default} | {_cell(p['description'])} |")
    else:
        lines.append("None.")
    lines += ["", "### Reference (`reference` of an item)", ""]
    schema = info["reference_schema"]
    if schema is None:
        lines.append("Not declared.")
    else:
        shape = {k: v for k, v in schema.items() if k not in ("description", "examples")}
        lines += [schema.get("description", ""), ""]
        if shape:
            lines += ["JSON Schema:", "", "```json", json.dumps(shape, indent=2, ensure_ascii=False), "```", ""]
        lines += ["Examples:", "", "```json"]
        lines += [json.dumps(e, ensure_ascii=False) for e in schema.get("examples", [])]
        lines += ["```"]
    return "\n".join([*lines, END])


def index(infos: list[dict[str, Any]]) -> str:
    """docs/verifiers/README.md: every built-in verifier with a link to its page."""
    lines = [
        "# Built-in verifiers",
        "",
        "Generated from `GET /v1/verifiers` by `make verifier-docs`; the same data, live, is at that route.",
        "",
        "| verifier | what it scores | scope | kind |",
        "|---|---|---|---|",
    ]
    for info in infos:
        kind = "heavy" if info["heavy"] else "blocking" if info["blocking"] else "light"
        lines.append(
            f"| [`{info['name']}`]({info['name']}.md) | {_cell(info['description'])} | {info['scope']} | {kind} |"
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main(argv: list[str]) -> int:
    """Write the pages, or with ``--check`` list the stale ones and exit 1."""
    stale = [name for name, text in pages().items() if not (DOCS / name).is_file() or (DOCS / name).read_text() != text]
    if "--check" in argv:
        for name in stale:
            sys.stderr.write(f"docs/verifiers/{name} is stale: run `make verifier-docs`\n")
        return 1 if stale else 0
    for name, text in pages().items():
        (DOCS / name).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
