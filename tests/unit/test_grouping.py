"""Grouping hits by a metadata key: Python's view of groups, checked on hand-made hits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from milvus_model_adapters.store.search.grouping import first_groups, group_key, groups
from milvus_model_adapters.store.types import Hit


def _hit(i: int, metadata: dict[str, object]) -> Hit:
    return Hit(id=f"h{i}", text="t", metadata=metadata, score=-float(i))


def test_values_of_different_json_types_are_different_groups() -> None:
    hits = [_hit(0, {"s": 1}), _hit(1, {"s": "1"}), _hit(2, {"s": True}), _hit(3, {"s": 1.5}), _hit(4, {"s": 1})]
    assert [[h.id for h in g] for g in groups(hits, "s", 5)] == [["h0", "h4"], ["h1"], ["h2"], ["h3"]]


def test_lists_and_objects_group_by_value_and_missing_keys_stand_alone() -> None:
    hits = [
        _hit(0, {"s": {"a": 1, "b": 2}}),
        _hit(1, {}),
        _hit(2, {"s": {"b": 2, "a": 1}}),
        _hit(3, {"s": [1, 2]}),
        _hit(4, {}),
        _hit(5, {"s": None}),
        _hit(6, {"s": None}),
    ]
    assert [[h.id for h in g] for g in groups(hits, "s", 3)] == [["h0", "h2"], ["h1"], ["h3"], ["h4"], ["h5", "h6"]]
    assert group_key(hits[1], "s") != group_key(hits[4], "s")


@given(st.lists(st.sampled_from(["a", "b", "c", "d", None]), max_size=30), st.integers(1, 4), st.integers(0, 3))
def test_groups_keep_the_order_and_the_first_hits_of_each_value(values: list[str | None], size: int, skip: int) -> None:
    hits = [_hit(i, {} if v is None else {"s": v}) for i, v in enumerate(values)]
    found = groups(hits, "s", size)
    flat = [h for g in found for h in g]
    assert len(flat) == len(set(h.id for h in flat))
    assert all(1 <= len(g) <= size for g in found)
    firsts = [g[0] for g in found]
    assert firsts == sorted(firsts, key=lambda h: -h.score)  # a group ranks where its best hit ranks
    for g in found:  # each group: the first hits of its value, in order
        same = [h for h in hits if group_key(h, "s") == group_key(g[0], "s")]
        assert g == same[:size]
    assert first_groups(found, skip=skip, take=2) == [h for g in found[skip : skip + 2] for h in g]
