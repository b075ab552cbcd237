"""What GET /v1/verifiers publishes about each built-in verifier, and docs/verifiers/ generated from it."""

from __future__ import annotations

import difflib
from typing import Any

import jsonschema
import pytest

from rewards import Item, Status, default_registry
from rewards.reference_docs import DOCS, pages
from rewards.run import run_group, run_item

PROGRAM = """```python
import sys


def double(x):
    return 2 * x


def add(a, b):
    return a + b


if __name__ == "__main__":
    for token in sys.stdin.read().split():
        print(double(int(token)))
```"""
# a completion that answers every published example right, where the verifier runs programs
RIGHT_ANSWERS = {"code": PROGRAM}
REGISTRY = default_registry(plugins=False)
SPECS = {spec.name: spec for spec in REGISTRY}
EXAMPLES = [
    (name, example)
    for name, spec in SPECS.items()
    for example in (spec.reference or {}).get("examples", [])
    if spec.reference is not None and "anyOf" in spec.reference
]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_builtin_verifier_yields_described_params_and_reference_schema(name: str) -> None:
    info = SPECS[name].describe()
    for param in info["params"]:
        assert param["description"], f"{name}.{param['name']} has no description"
        assert param["json_schema"], f"{name}.{param['name']} has no JSON Schema"
    jsonschema.Draft202012Validator.check_schema(info["params_schema"])
    jsonschema.validate({p["name"]: p["default"] for p in info["params"]}, info["params_schema"])
    reference = info["reference_schema"]
    assert reference is not None and reference["description"] and reference["examples"], name
    jsonschema.Draft202012Validator.check_schema(reference)
    for example in reference["examples"]:
        jsonschema.validate(example, reference)


@pytest.mark.parametrize(("name", "example"), EXAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXAMPLES)])
def test_published_reference_example_is_accepted_by_its_verifier(name: str, example: Any) -> None:
    spec = SPECS[name]
    completion = RIGHT_ANSWERS.get(name, "<think>hm</think>The answer is \\boxed{5}.")
    item = Item(completion=completion, reference=example, group="g")
    params = spec.parse_params({})
    verdict = run_group(spec, [item, item], params)[0] if spec.scope == "group" else run_item(spec, item, params)
    assert verdict.status is not Status.BAD_REFERENCE, verdict.reason
    if name in RIGHT_ANSWERS:
        assert (verdict.status, verdict.score) == (Status.OK, 1.0), verdict.reason


@pytest.mark.parametrize("page", sorted(pages()))
def test_verifier_page_is_current(page: str) -> None:
    want = pages()[page]
    have = (DOCS / page).read_text() if (DOCS / page).is_file() else ""
    diff = "".join(difflib.unified_diff(have.splitlines(True), want.splitlines(True), "committed", "generated"))
    assert have == want, f"docs/verifiers/{page} is stale: run `make verifier-docs`\n{diff[:3000]}"
