"""`rlvr check`: golden cases pass or fail with a readable table, JUnit for CI, --url, progress, --diff."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grpo.wire import ComponentResult, ItemResult, ScoreItem
from service.cli.cases import COMPONENT_KEYS, DEFAULT_TOLERANCE, EXPECTED_KEYS, compare, parse_case, summarize
from service.cli.rundiff import diff_runs
from tests.server import REPO, free_port, run_server

GOLDEN = REPO / "tests" / "golden"
SCHEMA = jsonschema.Draft202012Validator(json.loads((REPO / "docs" / "golden-case.schema.json").read_text()))
ENV = {"RLVR_PLUGIN_MODULES": json.dumps(["tests.service.verifiers_for_tests"]), "RLVR_WORKERS": "1"}


def rlvr(
    *args: str, stdout: int | None = None, stderr: int | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        env={**os.environ, "PYTHONPATH": str(REPO), **ENV, **(env or {})},
        cwd=REPO,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=stderr if stderr is not None else subprocess.PIPE,
        text=True,
        timeout=300,
    )


def case(id: str, completion: str, rewards: Any, **expected: Any) -> str:
    return json.dumps({"id": id, "completion": completion, "rewards": rewards, "expected": expected})


# t_len scores len(completion) * scale; see tests/service/verifiers_for_tests.py.
GOOD = [
    case("three", "abc", {"t_len": 1.0}, reward=3.0, components={"t_len": {"score": 3.0, "status": "ok"}}),
    case("scaled", "abcd", [{"name": "t_len", "weight": 0.5, "params": {"scale": 2}}], reward=4.0),
    case("tolerance", "ab", {"t_len": 1.0}, reward=2.05, tolerance=0.1),
    case("unknown", "x", {"nope": 1.0}, reward=None, status="unknown_verifier"),
    case("reason", "abc", {"t_len": 1.0}, components={"t_len": {"reason_contains": "3 characters"}}),
]
WRONG = [
    case("wrong-reward", "abcde", {"t_len": 1.0}, reward=4.0),
    case("wrong-status", "abc", [{"name": "t_len", "params": {"scale": "x"}}], status="ok"),
    case("wrong-component", "ab", {"t_len": 1.0}, components={"t_len": 7}),
]


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.jsonl"
    path.write_text("\n".join(GOOD) + "\n")
    return path


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mixed") / "mixed.jsonl"
    path.write_text("\n".join([*GOOD, *WRONG, "{not json"]) + "\n")
    return path


@pytest.fixture(scope="module")
def mixed_run(mixed: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One in-process `rlvr check --junit` on the mixed file: its output and its report."""
    report = mixed.parent / "report.xml"
    return rlvr("check", str(mixed), "--junit", str(report)), report


def test_golden_cases_of_builtin_verifiers_yield_pass(tmp_path: Path) -> None:
    report = tmp_path / "golden.xml"
    proc = rlvr("check", str(GOLDEN), "--junit", str(report))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = sum(len(p.read_text().splitlines()) for p in GOLDEN.glob("*.jsonl"))
    assert f"OK: all {lines} cases match" in proc.stdout
    root = ET.parse(report).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == (str(lines), "0", "0")


def _local_sandbox_or_skip() -> None:
    """Skip locally, fail under CI=true, when the local bubblewrap sandbox cannot run a program."""
    try:
        from sandbox.backend import Job, Step
        from sandbox.local import LocalBackend

        probe = Job({"main.py": b"print('ok')"}, (Step(("/usr/bin/python3", "-I", "-S", "main.py")),), "python")
        problem = None if next(iter(LocalBackend().run(probe))).stdout == b"ok\n" else "the probe printed nothing"
    except Exception as exc:  # any reason the sandbox cannot run here
        problem = f"{type(exc).__name__}: {exc}"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: the local sandbox must work: {problem}")
        pytest.skip(f"local sandbox unavailable: {problem}")


@pytest.mark.bwrap
def test_golden_cases_of_code_verifier_yield_pass() -> None:
    _local_sandbox_or_skip()
    proc = rlvr("check", str(GOLDEN / "sandbox"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = len((GOLDEN / "sandbox" / "code.jsonl").read_text().splitlines())
    assert f"OK: all {lines} cases match" in proc.stdout


def test_correct_cases_yield_exit_zero_and_summary(good: Path) -> None:
    proc = rlvr("check", str(good))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Mismatches" not in proc.stdout
    assert f"OK: all {len(GOOD)} cases match" in proc.stdout
    assert "│ t_len    │     4 │      4 │      0 │" in proc.stdout


def test_wrong_expectations_yield_exit_one_and_report(mixed_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, _ = mixed_run
    assert proc.returncode == 1
    assert report_of(proc.stdout) == {
        "mixed.jsonl:6 wrong-reward": ["reward: expected 4, got 5 (t_len: 5 characters)"],
        "mixed.jsonl:7 wrong-status": [
            "status: expected ok, got bad_params (verifier 't_len': parameter 'scale': must be a number, got 'x')"
        ],
        "mixed.jsonl:8 wrong-component": ["t_len score: expected 7, got 2 (2 characters)"],
        "mixed.jsonl:9 line-9": [
            "invalid case: not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        ],
    }
    assert f"FAILED: 4 of {len(GOOD) + 4} cases did not match" in proc.stdout


def report_of(stdout: str) -> dict[str, list[str]]:
    """The mismatch report as {case: its lines}, wrapped lines joined back (on whitespace only)."""
    cases: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in stdout.split("Per verifier")[0].splitlines()[1:]:
        if line.startswith("✗ "):
            lines = cases.setdefault(line[2:], [])
        elif line.startswith("  ") and not line.startswith("    ") and not lines:  # a case header wrapped
            key = next(reversed(cases))
            cases[f"{key} {line.strip()}"] = cases.pop(key)
        elif line.startswith("      "):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line.strip())
    return cases


LONG_ID = "a-case-id-long-enough-to-need-a-line-of-its-own-at-eighty-columns-of-text"
NARROW = [
    case(LONG_ID, "abcde", [{"name": "t_len", "params": {"scale": "x"}}], reward=4.0, status="ok"),
    case("two-fields", "abc", {"t_len": 1.0}, reward=4.0, components={"t_len": {"score": 7, "reason_contains": "x y"}}),
]


@pytest.mark.parametrize(
    ("terminal", "columns"), [(True, "80"), (False, "80"), (False, None)], ids=["tty-80", "pipe-80", "pipe"]
)
def test_narrow_or_piped_output_yields_report_without_cut_words_or_repeats(
    tmp_path: Path, terminal: bool, columns: str | None
) -> None:
    path = tmp_path / "narrow.jsonl"
    path.write_text("\n".join(NARROW) + "\n")
    env = {"COLUMNS": columns} if columns else {}
    stdout = on_terminal("check", str(path), env=env) if terminal else rlvr("check", str(path), env=env).stdout
    lines = stdout.splitlines()
    if columns:
        assert max(map(len, lines)) <= int(columns), stdout
    assert report_of(stdout) == {
        f"narrow.jsonl:1 {LONG_ID}": [
            "reward: expected 4, got null (verifier 't_len': parameter 'scale': must be a number, got 'x')",
            "status: expected ok, got bad_params",
        ],
        "narrow.jsonl:2 two-fields": [
            "reward: expected 4, got 3 (t_len: 3 characters)",
            "t_len score: expected 7, got 3 (3 characters)",
            "t_len reason: expected to contain 'x y', got '3 characters'",
        ],
    }
    rows = [line for line in lines if line.startswith("│ t_len")]
    assert len(rows) == 1 and [c.strip() for c in rows[0].split("│")[2:5]] == ["2", "0", "2"], stdout


def test_junit_report_yields_parseable_counts(mixed_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, report = mixed_run
    assert proc.returncode == 1
    root = ET.parse(report).getroot()
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == ("testsuites", "9", "3", "1")
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases][5:] == [
        "wrong-reward (line 6)",
        "wrong-status (line 7)",
        "wrong-component (line 8)",
        "line-9 (line 9)",
    ]
    failures = {c.get("name"): c.find("failure") for c in cases}
    assert sum(f is not None for f in failures.values()) == 3
    failure = failures["wrong-component (line 8)"]
    assert failure is not None
    assert "expected 7, got 2" in (failure.get("message") or "")
    assert cases[8].find("error") is not None


def test_check_against_server_yields_same_outcome(mixed: Path) -> None:
    with run_server(env=ENV) as url:
        proc = rlvr("check", str(mixed), "--url", url)
    assert proc.returncode == 1
    assert f"FAILED: 4 of {len(GOOD) + 4} cases did not match" in proc.stdout


def on_terminal(*args: str, stream: str = "stdout", env: dict[str, str] | None = None) -> str:
    """What `rlvr` writes to ``stream`` ("stdout": the report, "stderr": the progress bar) when it is a terminal."""
    master, slave = pty.openpty()
    try:
        on_pty = {"stdout": slave if stream == "stdout" else None, "stderr": slave if stream == "stderr" else None}
        proc = rlvr(*args, **on_pty, env=env)
    finally:
        os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO once the child side is closed and drained
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    text = seen.decode(errors="replace").replace("\r\n", "\n")
    assert proc.returncode in (0, 1), text
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)  # colours and cursor moves


def test_terminal_yields_progress_bar(good: Path) -> None:
    text = on_terminal("check", str(good), "--batch-size", "1", stream="stderr")
    assert "checking" in text
    assert f"/{len(GOOD)}" in text


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("[1, 2]", "a case must be a JSON object"),
        ('{"completion": "x"}', "no 'expected' object"),
        ('{"completion": "x", "expected": {"rewrd": 1}}', "unknown key(s) in expected: rewrd"),
        ('{"completion": "x", "expected": {"components": {"m": {"scor": 1}}}}', "unknown key(s) in expected component"),
        ('{"completion": "x", "expected": {"components": {"m": "high"}}}', "expected m.score must be a number or null"),
        ('{"completion": "x", "expected": {"reward": "1.0"}}', "expected reward must be a number or null, got '1.0'"),
        ('{"completion": "x", "expected": {"reward": true}}', "expected reward must be a number or null"),
        ('{"completion": "x", "expected": {"status": 0}}', "expected status must be a string"),
        ('{"completion": "x", "expected": {"reward": 1, "tolerance": -1}}', "tolerance must be >= 0"),
        ('{"completion": "x", "expected": {"components": [1]}}', "expected components must be an object"),
        ('{"completion": "x", "expected": {"components": {"m": {"reason_contains": 3}}}}', "m.reason_contains must be"),
        ('{"completion": 5, "expected": {"reward": 1}}', "invalid item: completion"),
        ('{"completion": "x", "extra": 1, "expected": {"reward": 1}}', "invalid item: extra"),
    ],
)
def test_malformed_case_yields_problem(line: str, problem: str) -> None:
    assert not SCHEMA.is_valid(json.loads(line)), "the published schema must reject it too"
    parsed = parse_case("f.jsonl", 3, line)
    assert parsed.problem is not None and problem in parsed.problem


def _result(reward: float | None, status: str, *components: tuple[str, float | None, str]) -> ItemResult:
    comps = [ComponentResult(name=n, weight=1.0, score=s, status=st, reason=f"{n} said so") for n, s, st in components]
    return ItemResult(id="i", reward=reward, status=status, components=comps)


@pytest.mark.parametrize(
    ("expected", "result", "mismatches"),
    [
        ({"reward": 1.0}, _result(1.0000001, "ok", ("m", 1.0, "ok")), []),
        ({"reward": 1.0}, _result(0.9, "ok", ("m", 0.9, "ok")), [("(reward)", "reward", 1.0, 0.9)]),
        ({"reward": 1.0, "tolerance": 0.2}, _result(0.9, "ok", ("m", 0.9, "ok")), []),
        ({"reward": 0.0}, _result(None, "timeout", ("m", None, "timeout")), [("(reward)", "reward", 0.0, None)]),
        ({"reward": None}, _result(0.0, "ok", ("m", 0.0, "ok")), [("(reward)", "reward", None, 0.0)]),
        ({"components": {"m": 0}}, _result(None, "error", ("m", None, "error")), [("m", "score", 0, None)]),
        ({"components": {"f": 1}}, _result(1.0, "ok", ("m", 1.0, "ok")), [("f", "component", "present", "absent")]),
        (
            {"components": {"m": {"status": "ok", "reason_contains": "other"}}},
            _result(None, "timeout", ("m", None, "timeout")),
            [("m", "status", "ok", "timeout"), ("m", "reason", "other", "m said so")],
        ),
    ],
)
def test_expected_against_result_yields_mismatches(
    expected: dict[str, Any], result: ItemResult, mismatches: list[tuple[Any, ...]]
) -> None:
    c = parse_case("f.jsonl", 1, json.dumps({"id": "i", "completion": "x", "rewards": {"m": 1}, "expected": expected}))
    outcome = compare(c, result)
    assert [(m.component, m.field, m.expected, m.got) for m in outcome.mismatches] == mismatches


def test_summary_yields_failures_per_verifier() -> None:
    def outcome(id: str, rewards: dict[str, float], expected: dict[str, Any], result: ItemResult) -> Any:
        line = json.dumps({"id": id, "completion": "x", "rewards": rewards, "expected": expected})
        return compare(parse_case("f.jsonl", 1, line), result)

    outcomes = [
        outcome(
            "a", {"m": 1, "f": 1}, {"components": {"m": 1}}, _result(1.0, "ok", ("m", 0.0, "ok"), ("f", 1.0, "ok"))
        ),
        outcome("b", {"m": 1, "f": 1}, {"reward": 2}, _result(1.0, "ok", ("m", 0.0, "ok"), ("f", 1.0, "ok"))),
        outcome("c", {"f": 1}, {"reward": 1}, _result(1.0, "ok", ("f", 1.0, "ok"))),
    ]
    assert [(s.name, s.cases, s.failed) for s in summarize(outcomes)] == [("f", 3, 1), ("m", 2, 2)]


def _scored(path: Path, rewards: str, inputs: Path) -> Path:
    proc = rlvr("score", str(inputs), "-o", str(path), "--rewards", rewards)
    assert proc.returncode == 0, proc.stderr
    return path


def test_diff_of_two_score_runs_yields_changes_and_reasons(tmp_path: Path) -> None:
    inputs = tmp_path / "in.jsonl"
    items = [
        {"id": "boxed", "completion": "So \\boxed{4}.", "reference": "4"},
        {"id": "phrase", "completion": "<think>2+2</think>The answer is 4.", "reference": "4"},
        {"id": "wrong", "completion": "The answer is 5.", "reference": "4"},
    ]
    inputs.write_text("".join(json.dumps(i) + "\n" for i in items))
    a = _scored(tmp_path / "a.jsonl", '[{"name": "math", "params": {"extract": "boxed"}}]', inputs)
    b = _scored(tmp_path / "b.jsonl", '{"math": 1.0}', inputs)
    same = rlvr("check", "--diff", str(a), str(a))
    assert same.returncode == 0, same.stdout + same.stderr
    assert "3 items compared, 0 changed" in same.stdout
    proc = rlvr("check", "--diff", str(a), str(b))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "3 items compared, 2 changed; mean reward 0.333333 → 0.666667" in proc.stdout
    phrase = proc.stdout.split("~ phrase\n")[1].split("\n~ ")[0].splitlines()
    assert phrase[0].startswith("    reward: 0 → 1 (math: was “no answer extracted"), proc.stdout
    assert phrase[-1] == "    math score: 0 → 1"  # its reason was said once, on the reward line


def test_diff_without_ids_yields_matching_by_line() -> None:
    a = [_result(1.0, "ok", ("m", 1.0, "ok")), _result(0.0, "ok", ("m", 0.0, "ok"))]
    b = [_result(1.0, "ok", ("m", 1.0, "ok")), _result(None, "timeout", ("m", None, "timeout"))]
    for r in (*a, *b):
        r.id = None
    diff = diff_runs(a, b)
    assert (diff.compared, diff.changed_items) == (2, 1)
    assert {(c.id, c.component, c.field) for c in diff.changes} == {
        ("line-2", "(reward)", "reward"),
        ("line-2", "(item)", "status"),
        ("line-2", "m", "score"),
        ("line-2", "m", "status"),
    }


def test_batches_yield_whole_groups_and_one_file_per_request() -> None:
    from service.cli.batches import request_batches

    def c(file: str, n: int, group: str | None) -> Any:
        return parse_case(file, n, json.dumps({"completion": "x", "group": group, "expected": {"reward": 1}}))

    cases = [c("a", 1, "g"), c("a", 2, None), c("a", 3, "g"), c("a", 4, None), c("b", 1, "g"), c("b", 2, "g")]
    items, files = [c.item for c in cases], [c.file for c in cases]
    assert request_batches(items, 3, files) == [[0, 2, 1], [3], [4, 5]]
    assert request_batches(items, 1, files) == [[0, 2], [1], [3], [4, 5]]
    assert request_batches([*items[:3], None], 3) == [[0, 2, 1]]  # None: an invalid line, not sent


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tests/no_such_file.jsonl"], "cannot read tests/no_such_file.jsonl"),
        (["docs"], "no case files in docs"),
        (["--diff", "a.jsonl"], "--diff takes exactly two files"),
        (["tests/golden/format.jsonl", "--url", f"http://127.0.0.1:{free_port()}"], "cannot reach"),
        (["--diff", "pyproject.toml", "pyproject.toml"], "pyproject.toml:1: not an rlvr score result"),
    ],
)
def test_bad_invocation_yields_exit_two_and_message(args: list[str], message: str) -> None:
    proc = rlvr("check", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr


@pytest.mark.parametrize("path", sorted(GOLDEN.rglob("*.jsonl")), ids=lambda p: str(p.relative_to(GOLDEN)))
def test_golden_case_files_yield_valid_under_published_schema(path: Path) -> None:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            errors = [e.message for e in SCHEMA.iter_errors(json.loads(line))]
            assert errors == [], f"{path.name}:{number}: {errors}"


def test_published_schema_yields_the_keys_check_accepts() -> None:
    expected = SCHEMA.schema["properties"]["expected"]
    component = expected["properties"]["components"]["additionalProperties"]["oneOf"][1]
    assert set(expected["properties"]) == EXPECTED_KEYS
    assert set(component["properties"]) == COMPONENT_KEYS
    assert set(SCHEMA.schema["properties"]) - {"expected"} == set(ScoreItem.model_fields)
    assert expected["properties"]["tolerance"]["default"] == DEFAULT_TOLERANCE
    SCHEMA.validate(SCHEMA.schema["examples"][0])


@pytest.mark.parametrize(
    ("doc", "links"),
    [
        ("docs/writing-a-verifier.md", ["golden-cases.md", "golden-case.schema.json"]),
        ("docs/golden-cases.md", ["golden-case.schema.json"]),
        ("README.md", ["docs/golden-cases.md"]),
    ],
)
def test_guides_yield_links_to_case_schema(doc: str, links: list[str]) -> None:
    text = (REPO / doc).read_text()
    for link in links:
        assert f"]({link})" in text, f"{doc} does not link {link}"
        assert ((REPO / doc).parent / link).is_file()


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("check", "Exit codes: 0 every case matches; 1 a case did not match"),
        ("check", "With --diff A B: 0 the two runs are identical; 1 a reward, status or component changed"),
        ("check", "docs/golden-cases.md"),
        ("score", "Exit codes: 0 scored (per-item problems are in the results); 1 the service cannot answer"),
        ("score", "2 bad input: a malformed --rewards or one naming an unknown verifier"),
    ],
)
def test_help_yields_exit_codes(command: str, says: str) -> None:
    proc = rlvr(command, "--help", env={"COLUMNS": "300"})
    assert proc.returncode == 0
    assert says in " ".join(proc.stdout.replace("│", " ").split()), proc.stdout
