"""Sparse sources: one way to configure BM25, the former arguments and names kept for one release."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from milvus_model_adapters.store import BuiltinBM25, ClientBM25, HybridStore, SparseSource
from milvus_model_adapters.text.analyzer import Analyzer
from tests.support.corpus import CORPUS
from tests.support.fixed_dense import HashDense


def test_the_former_bm25_arguments_warn_and_mean_the_source(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match=r"sparse=ClientBM25\(analyzer, k1=\.\.\., b=\.\.\.\)"):
        old = HybridStore(str(tmp_path / "old.db"), dense=HashDense(), analyzer=Analyzer("german"), k1=1.2, b=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = HybridStore(
            str(tmp_path / "new.db"), dense=HashDense(), sparse=ClientBM25(Analyzer("german"), k1=1.2, b=0.5)
        )
    with old, new:
        assert old.sparse.settings() == new.sparse.settings()
        old.add(CORPUS)
        new.add(CORPUS)
        assert [h.id for h in old.search("Milvus Suche", 5)] == [h.id for h in new.search("Milvus Suche", 5)]
    with pytest.warns(DeprecationWarning, match="builtin_analyzer_params"):
        store = HybridStore(
            str(tmp_path / "b.db"),
            dense=HashDense(),
            sparse="builtin",
            builtin_analyzer_params={"tokenizer": "standard"},
        )
    with store:
        assert isinstance(store.sparse, BuiltinBM25) and store.sparse.analyzer_params == {"tokenizer": "standard"}


def test_the_former_names_of_the_sparse_sources_still_import() -> None:
    from milvus_model_adapters.store.routes.client_bm25 import ClientBM25 as Former

    from milvus_model_adapters.store import SparseRoute
    from milvus_model_adapters.store.routes import route_from_settings, sparse_route

    assert SparseRoute is SparseSource and Former is ClientBM25
    assert isinstance(sparse_route("bm25"), ClientBM25)
    assert isinstance(route_from_settings({"kind": "builtin"}), BuiltinBM25)
