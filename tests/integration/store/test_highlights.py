"""Highlights: the query terms each hit matched, as spans of its stored text and a marked fragment.

The spans are checked against the words of the text that the store's analyzer maps to a query term (an
independent walk over the text's words), in English (stems map back to the words), German, Chinese, Japanese
and Korean, on a Lite file and a served engine, and through both frameworks, where the highlights stay out of
what the LLM and the embedder read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from milvus_model_adapters import Analyzer, HybridStore
from milvus_model_adapters.store import ClientBM25
from milvus_model_adapters.store.search.highlight import Highlight
from tests.support.fixed_dense import HashDense

TEXTS = [
    "The kettle was descaled; descaling kettles monthly keeps them running.",
    "Running water rinses the limescale away.",
    "Bread dough rises when the yeast is alive.",
]


def _expected_words(text: str, query: str, analyzer: Analyzer) -> list[str]:
    wanted = set(analyzer(query))
    return [w for w in re.findall(r"\w+", text) if set(analyzer(w)) & wanted]


def test_each_hit_carries_the_words_that_matched_its_query(store: HybridStore) -> None:
    store.add(TEXTS, ids=["a", "b", "c"])
    english = Analyzer()
    for query in ("descale kettle", "run", "yeast bread"):
        for hit in store.search(query, 3, highlight=True):
            assert hit.highlights is not None
            found = [hit.text[s:e] for s, e in hit.highlights.spans]
            assert found == _expected_words(hit.text, query, english)
            for word in found:
                assert f"<em>{word}</em>" in hit.highlights.fragment
    plain = store.search("descale kettle", 1)
    assert plain[0].highlights is None


def test_markers_and_fragment_size_are_the_callers(store: HybridStore) -> None:
    long_text = "filler words here " * 40 + "the kettle descaled " + "more filler words " * 40
    store.add([long_text], ids=["long"])
    hit = store.search("kettle", 1, mode="sparse", highlight=Highlight(pre="[", post="]", fragment_size=60))[0]
    assert "[kettle]" in hit.highlights.fragment  # type: ignore[union-attr]
    assert hit.highlights.fragment.startswith("…") and hit.highlights.fragment.endswith("…")  # type: ignore[union-attr]
    assert len(hit.highlights.fragment) <= 60 + len("[]") + 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("language", "text", "query", "matched"),
    [
        ("german", "Die Fahrräder stehen vor dem Haus.", "Fahrrad", ["Fahrräder"]),
        ("zh", "我爱北京天安门，北京是中国的首都。", "北京", ["北京", "北京"]),
        ("ja", "東京は日本の首都です。", "東京", ["東京"]),
        ("ko", "서울은 한국의 수도입니다.", "서울", ["서울"]),
    ],
)
def test_every_language_the_store_analyses_highlights(
    tmp_path: Path, language: str, text: str, query: str, matched: list[str]
) -> None:
    analyzer = Analyzer(language)
    if not set(analyzer(query)) & set(analyzer(text)):
        pytest.skip(f"the {language} analyzer finds no shared term here")
    with HybridStore(str(tmp_path / "l.db"), dense=HashDense(), sparse=ClientBM25(analyzer)) as store:
        store.add([text])
        hit = store.search(query, 1, mode="sparse", highlight=True)[0]
        assert hit.highlights is not None
        assert [text[s:e] for s, e in hit.highlights.spans] == matched


def test_the_frameworks_carry_highlights_hidden_from_the_llm(tmp_path: Path) -> None:
    store = HybridStore(str(tmp_path / "f.db"), dense=HashDense())
    store.add(TEXTS, ids=["a", "b", "c"])
    pytest.importorskip("langchain_core")
    from milvus_model_adapters.langchain import MilvusHybridVectorStore

    documents = MilvusHybridVectorStore(store=store).similarity_search("kettle", 1, highlight=True)
    assert documents[0].metadata["highlight"]["terms"] == ["kettle", "kettles"]
    assert "highlight" not in documents[0].page_content
    try:
        import llama_index.core  # noqa: F401
    except ImportError:
        store.close()
        return
    from llama_index.core.schema import MetadataMode
    from llama_index.core.vector_stores.types import VectorStoreQuery

    from milvus_model_adapters.llama_index import MilvusHybridVectorStore as LlamaStore

    result = LlamaStore(store=store).query(VectorStoreQuery(query_str="kettle", similarity_top_k=1), highlight=True)
    node: Any = result.nodes[0]  # type: ignore[index]
    assert node.metadata["highlight"]["terms"] == _expected_words(node.text, "kettle", Analyzer())
    assert "highlight" not in node.get_content(metadata_mode=MetadataMode.LLM)
    assert "highlight" not in node.get_content(metadata_mode=MetadataMode.EMBED)
    store.close()
