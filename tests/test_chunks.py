"""How pool work is cut into chunks: the tasks of one reference together, every task once."""

from __future__ import annotations

import pytest

from service.chunks import MAX_CHUNK, POOL_CHUNK, affinity, chunked


@pytest.mark.parametrize(
    ("affinities", "expected"),
    [
        ([], []),
        (["a"] * 3, [[0, 1, 2]]),
        (["a", "b", "a", "b"], [[0, 2, 1, 3]]),
        (["a"] * 5 + ["b"] * 5, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]),  # a group does not straddle two chunks
        (["a"] * 3 + ["b"] * 5, [[0, 1, 2, 3, 4, 5, 6, 7]]),
        (["a", "b"] * 8, [list(range(0, 16, 2)), list(range(1, 16, 2))]),
        (["a"] * (MAX_CHUNK + 3), [list(range(MAX_CHUNK)), list(range(MAX_CHUNK, MAX_CHUNK + 3))]),
        (list(range(2 * POOL_CHUNK)), [list(range(POOL_CHUNK)), list(range(POOL_CHUNK, 2 * POOL_CHUNK))]),
    ],
)
def test_tasks_of_one_reference_yield_one_chunk(affinities: list[str], expected: list[list[int]]) -> None:
    assert chunked(affinities) == expected


@pytest.mark.parametrize("n", [1, 7, 8, 9, 150, 1024])
@pytest.mark.parametrize("groups", [1, 3, 16, 1000])
def test_any_batch_yields_every_task_once_in_bounded_chunks(n: int, groups: int) -> None:
    chunks = chunked([i % groups for i in range(n)])
    assert sorted(i for c in chunks for i in c) == list(range(n))
    assert all(1 <= len(c) <= MAX_CHUNK for c in chunks)


@pytest.mark.parametrize(
    ("verifier", "reference", "expected"),
    [
        ("math", "\\frac{1}{2}", ("math", "\\frac{1}{2}")),
        ("math", 42, ("math", 42)),
        ("math", True, ("math", None)),
        ("code", {"tests": [1]}, ("code", None)),
        ("code", None, ("code", None)),
    ],
)
def test_plain_references_yield_their_own_affinity(verifier: str, reference: object, expected: tuple) -> None:
    assert affinity(verifier, reference) == expected
