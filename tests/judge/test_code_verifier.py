"""The ``code`` verifier: program extraction, statuses that keep "could not judge" apart from "wrong", reasons."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rewards import Item, Status, default_registry
from rewards.code import CodeParams, code_reward, extract_code
from sandbox.backend import Backend
from sandbox.errors import SandboxError, ToolchainMissing
from sandbox.judge import use_backend
from tests.judge.fakes import FailingBackend, PlainBackend

PY = "```python\n{}\n```"
EXTRACTION = [
    (
        "answer after think",
        "<think>try ```python\nbad()\n```</think>\nSo:\n```python\ngood()\n```",
        "python",
        "good()\n",
    ),
    ("last of two blocks", "```python\nfirst()\n```\nbetter:\n```python\nsecond()\n```", "python", "second()\n"),
    ("alias tag", "```py\nalias()\n```", "python", "alias()\n"),
    (
        "other language ignored",
        "```cpp\nint main(){}\n```\n```python\nmine()\n```\n```bash\necho\n```",
        "python",
        "mine()\n",
    ),
    ("untagged block as fallback", "Here:\n```\nplain()\n```", "python", "plain()\n"),
    ("tagged beats later untagged", "```python\ntagged()\n```\n```\n3\n```", "python", "tagged()\n"),
    ("c++ tag for cpp", "```c++\nint main(){}\n```", "cpp", "int main(){}\n"),
    ("still thinking", "<think>```python\nx()\n```", "python", None),
    ("no fence", "def f(): return 1", "python", None),
    ("only another language", "```java\nclass Main {}\n```", "python", None),
]


@pytest.mark.parametrize(
    ("completion", "language", "code"), [e[1:] for e in EXTRACTION], ids=[e[0] for e in EXTRACTION]
)
def test_completion_yields_extracted_program(completion: str, language: str, code: str | None) -> None:
    assert extract_code(completion, language) == code


@pytest.fixture
def backend_of(request: pytest.FixtureRequest) -> Iterator[None]:
    previous = use_backend(request.param)
    yield
    use_backend(previous)


ADD_TESTS = {"fn_name": "add", "inputs": [[1, 2], [2, 2], [2, 3]], "outputs": [3, 4, 5]}
STATUSES = [
    (
        "no code",
        "I think the answer is 3.",
        ADD_TESTS,
        {},
        PlainBackend(),
        Status.OK,
        "no_code: no fenced python block",
    ),
    ("tests missing", PY.format("x = 1"), None, {}, PlainBackend(), Status.BAD_REFERENCE, "bad tests:"),
    ("tests malformed", PY.format("x = 1"), {"inputs": [1]}, {}, PlainBackend(), Status.BAD_REFERENCE, "bad tests:"),
    (
        "sandbox broken",
        PY.format("def add(a, b): return a + b"),
        ADD_TESTS,
        {},
        FailingBackend(SandboxError("bwrap died")),
        Status.SANDBOX_ERROR,
        "sandbox: bwrap died",
    ),
    (
        "toolchain missing",
        "```rust\nfn main() {}\n```",
        {"inputs": [""], "outputs": [""]},
        {"language": "rust"},
        FailingBackend(ToolchainMissing("rust: toolchain not installed")),
        Status.TOOLCHAIN_MISSING,
        "rust: toolchain not installed",
    ),
    (
        "unknown language",
        "```cobol\nX\n```",
        ADD_TESTS,
        {"language": "cobol"},
        PlainBackend(),
        Status.UNSUPPORTED_LANGUAGE,
        "unsupported language 'cobol'",
    ),
    (
        "call-based tests in C++",
        "```cpp\nint add(int a, int b) { return a + b; }\n```",
        ADD_TESTS,
        {"language": "cpp"},
        PlainBackend(),
        Status.UNSUPPORTED_LANGUAGE,
        "call-based tests need python",
    ),
]


@pytest.mark.parametrize(
    ("completion", "reference", "params", "backend_of", "status", "reason"),
    [s[1:] for s in STATUSES],
    ids=[s[0] for s in STATUSES],
    indirect=["backend_of"],
)
def test_item_yields_status_and_reason(
    completion: str, reference: Any, params: dict, backend_of: None, status: Status, reason: str
) -> None:
    verdict = code_reward(Item(completion, reference), CodeParams(**params))
    assert (verdict.status, reason in verdict.reason) == (status, True), verdict.reason
    assert (verdict.score is None) == (status is not Status.OK)


MODEL_COMPLETION = """<think>
Add the two numbers, but I will get the last case wrong.
</think>
Here is my solution:
```python
def add(a, b):
    return a + b if a != 2 or b != 3 else 4
```"""


def test_model_completion_yields_fraction_and_per_test_details(local_backend: Backend) -> None:
    previous = use_backend(local_backend)
    try:
        verdict = code_reward(Item(MODEL_COMPLETION, ADD_TESTS), CodeParams())
        strict = code_reward(Item(MODEL_COMPLETION, ADD_TESTS), CodeParams(score_mode="all_or_nothing"))
    finally:
        use_backend(previous)
    assert (verdict.status, verdict.score, verdict.reason) == (
        Status.OK,
        2 / 3,
        "2/3 passed; test 3: WA (expected 5, got 4)",
    )
    assert [t["verdict"] for t in verdict.details["tests"]] == ["AC", "AC", "WA"]
    assert (verdict.details["passed"], verdict.details["total"]) == (2, 3)
    assert (strict.score, strict.reason) == (0.0, "2/3 passed; test 3: WA (expected 5, got 4)")


def test_registry_yields_code_verifier_with_its_params() -> None:
    spec = default_registry(plugins=False).get("code")
    assert spec.blocking and spec.parse_params({"score_mode": "all_or_nothing"}).score_mode == "all_or_nothing"


def test_same_program_and_tests_yield_same_cache_key() -> None:
    spec = default_registry(plugins=False).get("code")
    assert spec.cache_key is not None
    a = Item("text\n" + PY.format("print(1)"), {"inputs": [""], "outputs": ["1"]})
    b = Item("other text\n" + PY.format("print(1)"), {"inputs": [""], "outputs": ["1"]})
    c = Item(PY.format("print(2)"), {"inputs": [""], "outputs": ["1"]})
    keys = [spec.cache_key(item, CodeParams()) for item in (a, b, c)]
    assert keys[0] == keys[1] != keys[2]


def test_pytest_missing_in_the_sandbox_yields_toolchain_missing(
    local_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox.judge import program

    monkeypatch.setattr(program, "PYTEST_PATHS", ("/nonexistent",))
    previous = use_backend(local_backend)
    try:
        tests = {"pytest": "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"}
        verdict = code_reward(Item(PY.format("def add(a, b):\n    return a + b"), tests), CodeParams())
    finally:
        use_backend(previous)
    assert (verdict.status, verdict.score) == (Status.TOOLCHAIN_MISSING, None)
    assert "pytest is not installed in the sandbox" in verdict.reason
