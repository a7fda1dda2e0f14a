"""The search contract: one validated value, the same errors everywhere."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from milvus_model_adapters import SearchParams
from milvus_model_adapters.errors import FilterError, InvalidInputError, InvalidTypeError
from milvus_model_adapters.rerank import CosineReranker
from milvus_model_adapters.store.search.fusion import RRF, Weighted
from milvus_model_adapters.store.search.params import DEFAULT_RANKER, KNOB_NAMES, OPTION_NAMES


def test_every_field_is_an_option_and_the_shorthands_are_the_only_extras() -> None:
    fields = {f.name for f in dataclasses.fields(SearchParams) if f.init}
    assert fields | {"rrf_k", "weights", *KNOB_NAMES} == OPTION_NAMES


def test_defaults() -> None:
    p = SearchParams()
    assert (p.k, p.mode, p.fusion, p.ranker) == (10, "hybrid", "client", DEFAULT_RANKER)
    assert p.fetch == 20 and SearchParams(k=15).fetch == 30 and SearchParams(k=5, fetch_k=3).fetch == 5


def test_create_and_replace_validate_and_keep_the_rest() -> None:
    base = SearchParams.create(k=3, mode="dense", filter={"a": 1})
    changed = base.replace(fusion="server", ranker="rrf")
    assert (changed.k, changed.mode, changed.filter, changed.fusion) == (3, "dense", {"a": 1}, "server")
    assert changed.ranker == RRF(60)
    assert base.replace() is base


@pytest.mark.parametrize(
    ("options", "ranker"),
    [
        ({"ranker": "rrf"}, RRF(60)),
        ({"rrf_k": 10}, RRF(10)),
        ({"ranker": "rrf", "rrf_k": 5}, RRF(5)),
        ({"ranker": "weighted"}, Weighted((0.5, 0.5))),
        ({"weights": [0.7, 0.3]}, Weighted((0.7, 0.3))),
        ({"ranker": "weighted", "weights": (0.2, 0.8)}, Weighted((0.2, 0.8))),
        ({"ranker": Weighted((1, 1), normalization="arctan")}, Weighted((1.0, 1.0), normalization="arctan")),
    ],
)
def test_ranker_shorthands(options: dict[str, Any], ranker: object) -> None:
    assert SearchParams.create(**options).ranker == ranker


def test_weights_keep_the_normalisation_of_the_current_ranker() -> None:
    arctan = SearchParams(ranker=Weighted((0.5, 0.5), normalization="arctan"))
    assert arctan.replace(weights=[0.9, 0.1]).ranker == Weighted((0.9, 0.1), normalization="arctan")


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"colour": "red"}, InvalidInputError, "unknown search option.*colour.*known: .*expr"),
        ({"k": 0}, InvalidInputError, "k must be > 0"),
        ({"k": 16385}, InvalidInputError, "at most 16384"),
        ({"k": "3"}, InvalidTypeError, "k must be an int"),
        ({"fetch_k": 0}, InvalidInputError, "fetch_k"),
        ({"rerank_k": 10**9}, InvalidInputError, "rerank_k must be at most"),
        ({"mode": "fuzzy"}, InvalidInputError, "unknown mode"),
        ({"fusion": "magic"}, InvalidInputError, "unknown fusion"),
        ({"ranker": "borda"}, InvalidInputError, "unknown ranker"),
        ({"ranker": 3}, InvalidTypeError, "ranker must be"),
        ({"weights": [1, 2, 3]}, InvalidInputError, "2 weights"),
        ({"ranker": "rrf", "weights": [1, 1]}, InvalidInputError, "weights apply to ranker='weighted'"),
        ({"ranker": "weighted", "rrf_k": 3}, InvalidInputError, "rrf_k applies to ranker='rrf'"),
        ({"rrf_k": 3, "weights": [1, 1]}, InvalidInputError, "pass one of them"),
        ({"ranker": RRF(3), "rrf_k": 5}, InvalidInputError, "not both"),
        ({"weights": "ab"}, InvalidTypeError, "sequence of numbers"),
        ({"offset": -1}, InvalidInputError, "offset must be a non-negative integer"),
        ({"k": 10, "offset": 16380}, InvalidInputError, "k \\+ offset must be at most 16384"),
        ({"ef": 0}, InvalidInputError, r"ef must be in \[1, 32768\]"),
        ({"ef": 2.5}, InvalidTypeError, "ef must be an integer"),
        ({"nprobe": 10**6}, InvalidInputError, "nprobe must be in"),
        ({"radius": "0.5"}, InvalidTypeError, "radius must be a number"),
        ({"radius": 0.8, "range_filter": 0.2}, InvalidInputError, "radius .* must be below range_filter"),
        ({"range_filter": 0.2}, InvalidInputError, "range_filter needs a radius"),
        ({"drop_ratio_search": 1.0}, InvalidInputError, r"drop_ratio_search must be in \[0, 1\)"),
        ({"consistency_level": "strong"}, InvalidInputError, "unknown consistency_level 'strong'"),
        ({"fusion": "server"}, InvalidInputError, "min-max"),
        ({"fusion": "server", "ranker": "weighted"}, InvalidInputError, "normalization='arctan'"),
        ({"filter": {"$bogus": 1}}, FilterError, "unknown filter operator"),
        ({"filter": "a == 1"}, InvalidTypeError, "filter must be a dict"),
        ({"expr": 3}, InvalidTypeError, "expr must be a string"),
        ({"group_size": 3}, InvalidInputError, "group_size applies to grouped search"),
        ({"group_by": " "}, InvalidInputError, "group_by must name a metadata key"),
        ({"group_by": "source", "group_size": 0}, InvalidInputError, "group_size must be > 0"),
        ({"group_by": "source", "group_size": True}, InvalidTypeError, "group_size must be an int"),
        ({"group_by": "source", "k": 100, "offset": 100, "group_size": 82}, InvalidInputError, "group_size must be"),
    ],
)
def test_bad_options_are_one_clear_error(options: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        SearchParams.create(**options)


def test_server_fusion_accepts_rrf_and_arctan_and_ignores_fusion_outside_hybrid() -> None:
    assert SearchParams.create(fusion="server", ranker="rrf").fusion == "server"
    SearchParams.create(fusion="server", ranker=Weighted((0.3, 0.7), normalization="arctan"))
    SearchParams.create(fusion="server", mode="dense")  # nothing to fuse


def test_filter_is_copied() -> None:
    flt = {"tags": {"$in": ["a"]}}
    p = SearchParams(filter=flt)
    flt["tags"]["$in"].append("b")
    assert p.filter == {"tags": {"$in": ["a"]}}


def test_from_mapping_and_reranker_wrapping() -> None:
    assert SearchParams.from_mapping(None) == SearchParams()
    with pytest.raises(InvalidTypeError, match="must be a dict"):
        SearchParams.from_mapping(["k"])  # type: ignore[arg-type]

    def rerank_function(query: str, docs: list[str], top_k: int) -> list[Any]:
        return []

    p = SearchParams.from_mapping({"reranker": rerank_function, "k": 2})
    assert p.k == 2 and p.reranker is not None and p.reranker.function is rerank_function  # type: ignore[attr-defined]
    assert isinstance(SearchParams(reranker=CosineReranker()).reranker, CosineReranker)
