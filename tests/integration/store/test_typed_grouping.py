"""Grouping by a typed metadata column: Milvus's grouping search, where the engine has it, returns the groups the
store's own grouping returns on the same documents with the key in the JSON field."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from milvus_model_adapters.store import Boost, Decay, HybridStore, MetadataField
from milvus_model_adapters.store.search.engine_grouping import engine_groups

SOURCES = ["a.md", "b.md", "c.md", "d.md", "e.md"]


class _Unit:
    """A deterministic dense function: a distinct vector per text, so no two documents tie."""

    dim = 8

    def encode_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(random.Random(t).uniform(0.1, 1.0) for _ in range(self.dim)) for t in texts]

    encode_queries = encode_documents


# Each text one word longer than the last: BM25 scores of "alpha" never tie.
TEXTS = [" ".join(["alpha", *["filler"] * i]) for i in range(40)]
METADATAS = [{"source": SOURCES[i % 5] if i % 7 else SOURCES[0], "n": i} for i in range(40)]


@pytest.fixture(scope="module", params=["lite", pytest.param("server", marks=pytest.mark.network)])
def twins(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[HybridStore, HybridStore]]:
    """The same documents in a store with ``source`` a typed column and in one with it in the JSON field."""
    if request.param == "lite":
        uri, options = str(tmp_path_factory.mktemp("grouping") / "g.db"), {}
    else:
        uri, options = request.getfixturevalue("server_uri"), {"drop_existing": True}
    suffix = uuid.uuid4().hex[:8]
    typed = HybridStore(
        uri,
        f"typed_{suffix}",
        dense=_Unit(),
        fields={"source": MetadataField("varchar", nullable=False), "n": "int64"},
        **options,
    )
    plain = HybridStore(uri, f"plain_{suffix}", dense=_Unit(), client=typed.client, **options)
    ids = [f"d{i:02d}" for i in range(len(TEXTS))]
    for store in (typed, plain):
        store.add(TEXTS, METADATAS, ids=ids)
    yield typed, plain
    for store in (plain, typed):
        if not store.is_local:
            store.drop()
        store.close()


def _shown(hits: list[Any]) -> list[tuple[str, str, float]]:
    return [(h.id, h.metadata["source"], round(h.score, 4)) for h in hits]


@pytest.mark.parametrize("mode", ["dense", "sparse"])
@pytest.mark.parametrize(("k", "size", "offset"), [(3, 1, 0), (5, 1, 0), (4, 1, 2), (3, 2, 0), (2, 3, 1)])
def test_engine_groups_equal_the_stores_own(
    twins: tuple[HybridStore, HybridStore], mode: str, k: int, size: int, offset: int
) -> None:
    typed, plain = twins
    options: dict[str, Any] = {"mode": mode, "group_by": "source", "group_size": size, "offset": offset}
    asked: list[dict[str, Any]] = []
    search = typed.client.search

    def recorded(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs)
        return search(*args, **kwargs)

    typed.client.search = recorded  # type: ignore[method-assign]
    try:
        ours = typed.search("alpha", k, **options)
        filtered = typed.search("alpha", k, filter={"n": {"$gte": 10}}, **options)
    finally:
        typed.client.search = search  # type: ignore[method-assign]
    assert _shown(ours) == _shown(plain.search("alpha", k, **options))
    assert _shown(filtered) == _shown(plain.search("alpha", k, filter={"n": {"$gte": 10}}, **options))
    by_engine = any("group_by_field" in call for call in asked)
    assert by_engine == (size == 1)  # larger groups: the store's own, which hold the chunks its search reached
    assert engine_groups(typed.search_params.replace(**options), typed.fields, typed.engine) == by_engine


def test_the_stores_own_grouping_where_the_engine_would_differ(twins: tuple[HybridStore, HybridStore]) -> None:
    typed, plain = twins
    for options in (
        {"mode": "hybrid"},  # two routes fused here
        {"mode": "dense", "min_relevance": 0.0},  # a control after the engine
        {"mode": "dense", "group_size": 2},  # groups the engine would fill
    ):
        params = typed.search_params.replace(**{"group_by": "source", **options})
        assert not engine_groups(params, typed.fields, typed.engine)
        assert _shown(typed.search("alpha", 3, params=params)) == _shown(plain.search("alpha", 3, params=params))


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_decay_and_boosts_read_a_typed_column_as_a_json_key(twins: tuple[HybridStore, HybridStore], mode: str) -> None:
    typed, plain = twins
    options: dict[str, Any] = {
        "mode": mode,
        "decay": Decay("n", "gauss", origin=20, scale=5),
        "boost": Boost({"n": {"$in": [3, 4, 5]}}, 2.0),
    }
    assert _shown(typed.search("alpha", 8, **options)) == _shown(plain.search("alpha", 8, **options))
