"""grpo.advantages against hand-computed values, for every variant and both backends."""

from __future__ import annotations

import math

import pytest

from grpo.advantages import EPS, compute_advantages

NAN = float("nan")
STD_1010 = math.sqrt(1 / 3)  # Bessel std of [1, 0, 0, 1]
STD_10 = math.sqrt(0.5)  # Bessel std of [1, 0]

CASES = [
    # (method, rewards, group_size, expected), expected worked out by hand
    ("grpo", [1.0, 0.0, 0.0, 1.0], 4, [x / (STD_1010 + EPS) for x in (0.5, -0.5, -0.5, 0.5)]),
    ("grpo", [0.7, 0.7, 0.7], 3, [0.0, 0.0, 0.0]),
    ("grpo", [1.0, None, 0.0], 3, [0.5 / (STD_10 + EPS), 0.0, -0.5 / (STD_10 + EPS)]),
    ("grpo", [1.0, NAN, 0.0], 3, [0.5 / (STD_10 + EPS), 0.0, -0.5 / (STD_10 + EPS)]),
    ("grpo", [1.0, None, None], 3, [0.0, 0.0, 0.0]),
    ("grpo", [None, None], 2, [0.0, 0.0]),
    ("grpo", [1.0, 0.0], 1, [0.0, 0.0]),
    ("grpo", [2.0, 0.0, 5.0, 5.0], 2, [1.0 / (math.sqrt(2) + EPS), -1.0 / (math.sqrt(2) + EPS), 0.0, 0.0]),
    # batch std of [1, 0, 1, 1] is 0.5; the second group is unanimous
    ("batch", [1.0, 0.0, 1.0, 1.0], 2, [0.5 / (0.5 + EPS), -0.5 / (0.5 + EPS), 0.0, 0.0]),
    # the None is out of the batch std too: std of [1, 0, 1, 1, 1] is sqrt(0.2)
    (
        "batch",
        [1.0, 0.0, None, 1.0, 1.0, 1.0],
        3,
        [0.5 / (math.sqrt(0.2) + EPS), -0.5 / (math.sqrt(0.2) + EPS)] + [0.0] * 4,
    ),
    ("batch", [1.0, 0.0], 1, [0.0, 0.0]),
    ("dr_grpo", [3.0, 1.0, 2.0], 3, [1.0, -1.0, 0.0]),
    ("dr_grpo", [1.0, 0.0, None, 1.0], 4, [1 / 3, -2 / 3, 0.0, 1 / 3]),
    ("dr_grpo", [4.0], 1, [0.0]),
    ("rloo", [1.0, 0.0, 0.0, 1.0], 4, [2 / 3, -2 / 3, -2 / 3, 2 / 3]),
    ("rloo", [1.0, None, 0.0], 3, [1.0, 0.0, -1.0]),
    ("rloo", [3.0, 3.0], 2, [0.0, 0.0]),
    ("rloo", [5.0, 1.0], 1, [0.0, 0.0]),
]


@pytest.fixture(params=["python", "numpy"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "numpy":
        pytest.importorskip("numpy")
    return str(request.param)


@pytest.mark.parametrize(("method", "rewards", "group_size", "expected"), CASES)
def test_hand_computed_case_yields_expected_advantages(
    method: str, rewards: list[float | None], group_size: int, expected: list[float], backend: str
) -> None:
    got = compute_advantages(rewards, group_size=group_size, method=method, backend=backend)  # type: ignore[arg-type]
    assert got == pytest.approx(expected, abs=1e-12)


def test_unanimous_group_yields_exact_zeros_despite_rounding() -> None:
    # 0.1 * 3 / 3 != 0.1 in floating point: the mean alone would leave a residue
    assert compute_advantages([0.1, 0.1, 0.1], group_size=3) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("method", ["grpo", "batch", "dr_grpo", "rloo"])
def test_group_ids_in_any_order_yield_the_same_as_blocks(method: str, backend: str) -> None:
    rewards = [1.0, 2.0, 0.0, 7.0, 0.5, 3.0]
    blocks = compute_advantages(rewards, group_size=3, method=method, backend=backend)  # type: ignore[arg-type]
    order = [0, 3, 1, 4, 2, 5]  # interleave the two groups
    ids = ["a" if i < 3 else "b" for i in order]
    mixed = compute_advantages([rewards[i] for i in order], ids, method=method, backend=backend)  # type: ignore[arg-type]
    assert mixed == pytest.approx([blocks[i] for i in order], abs=1e-12)


def test_missing_none_yields_none_for_unjudged_items() -> None:
    assert compute_advantages([1.0, None, 0.0, NAN], group_size=4, method="dr_grpo", missing=None) == [
        0.5,
        None,
        -0.5,
        None,
    ]


def test_large_batch_backends_yield_the_same_advantages() -> None:
    pytest.importorskip("numpy")
    rewards = [[1.0, 0.0, 0.5, None, 0.25, float("nan"), 1.0, 1.0][(i * 7) % 8] for i in range(4096)]
    for method in ("grpo", "batch", "dr_grpo", "rloo"):
        py = compute_advantages(rewards, group_size=16, method=method, backend="python")  # type: ignore[arg-type]
        np_ = compute_advantages(rewards, group_size=16, method=method, backend="numpy")  # type: ignore[arg-type]
        assert np_ == pytest.approx(py, abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"groups": [0, 0], "group_size": 2}, "not both"),
        ({}, "give groups"),
        ({"group_size": 3}, "cannot be cut"),
        ({"group_size": 0}, "cannot be cut"),
        ({"groups": [0]}, "1 group ids for 2 rewards"),
        ({"group_size": 2, "method": "ppo"}, "unknown method"),
    ],
)
def test_bad_grouping_or_method_yields_value_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute_advantages([1.0, 0.0], **kwargs)  # type: ignore[arg-type]


def test_empty_batch_yields_no_advantages(backend: str) -> None:
    assert compute_advantages([], group_size=4, backend=backend) == []  # type: ignore[arg-type]
