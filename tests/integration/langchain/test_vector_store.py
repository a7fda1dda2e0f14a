"""The LangChain vector store: built from documents, as a retriever, the collection it writes, search options on
every path, explicit ids, one document per source."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("langchain_core", reason="LangChain adapters need the 'langchain' extra")

from langchain_core.documents import Document  # noqa: E402

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.errors import InvalidInputError  # noqa: E402
from milvus_model_adapters.langchain import MilvusHybridRetriever, MilvusHybridVectorStore  # noqa: E402
from milvus_model_adapters.store import HybridStore  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402


def test_vectorstore_from_documents_and_as_retriever(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    docs = [Document(page_content=t, metadata={"n": i}, id=f"id{i}") for i, t in enumerate(CORPUS)]
    vs = MilvusHybridVectorStore.from_documents(docs, DenseEncoder(dense_encoder.function), uri=str(tmp_path / "v.db"))
    assert vs.get_by_ids(["id3"])[0].page_content == CORPUS[3]
    retriever = vs.as_retriever(search_kwargs={"k": 2, "mode": "dense"})
    assert isinstance(retriever, MilvusHybridRetriever)
    out = retriever.invoke("Where does Milvus Lite keep vectors?")
    assert out[0].id == "id1" and out[0].metadata["dense_rank"] == 1
    scored = vs.similarity_search_with_score("jet engine thrust", k=1, mode="sparse")
    assert scored[0][0].id == "id7" and scored[0][1] > 0


def test_collection_written_by_langchain_has_core_schema(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    vs = MilvusHybridVectorStore(dense_encoder, uri=str(tmp_path / "x.db"))
    vs.add_texts(["hello world"], ids=["h"])
    vs.store.close()
    again = HybridStore(str(tmp_path / "x.db"), dense=dense_encoder)
    assert again.get(["h"])[0].text == "hello world"
    again.close()


def test_search_options_reach_every_langchain_path(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    vs = MilvusHybridVectorStore(dense_encoder, uri=str(tmp_path / "opts.db"))
    vs.add_texts(CORPUS)
    q = "vector database similarity search"
    expected = [h.id for h in vs.store.search(q, 4, fusion="server", ranker="rrf")]
    retriever = vs.as_retriever(search_kwargs={"fusion": "server", "ranker": "rrf"})
    assert retriever.search_params.fusion == "server"
    assert [d.id for d in retriever.invoke(q)] == expected
    assert [d.id for d in vs.as_retriever().invoke(q, fusion="server", ranker="rrf")] == expected
    assert [d.id for d in vs.similarity_search(q, fusion="server", ranker="rrf")] == expected
    direct = MilvusHybridRetriever(store=vs.store, fusion="server", ranker="rrf")
    assert [d.id for d in direct.invoke(q)] == expected
    # Pages: the hits after the first two of a longer search, on every path.
    assert [d.id for d in vs.similarity_search(q, k=2, offset=2, fusion="server", ranker="rrf")] == expected[2:]
    assert [d.id for d in vs.as_retriever(search_kwargs={"k": 2, "offset": 2}).invoke(q)] == [
        d.id for d in vs.similarity_search(q, k=4)[2:]
    ]
    assert [d.id for d in direct.invoke(q, k=2, offset=2)] == expected[2:]
    assert vs.as_retriever(search_type="sparse").search_params.mode == "sparse"
    with pytest.raises(InvalidInputError, match="unknown search option.*fuzion"):
        vs.as_retriever(search_kwargs={"fuzion": "server"})
    with pytest.raises(InvalidInputError, match="unknown search option"):
        vs.as_retriever().invoke(q, top_k=2)
    with pytest.raises(InvalidInputError, match="unknown search option"):
        vs.similarity_search(q, top_k=2)
    with pytest.raises(InvalidInputError, match="unknown search_type 'magic'"):
        vs.as_retriever(search_type="magic")
    with pytest.raises(ValueError, match="colour"):
        MilvusHybridRetriever(store=vs.store, colour="red")
    vs.store.close()


def test_from_documents_keeps_each_explicit_id(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    docs = [Document(page_content=CORPUS[0], id="given"), Document(page_content=CORPUS[1])]
    vs = MilvusHybridVectorStore.from_documents(docs, dense_encoder, uri=str(tmp_path / "ids.db"))
    assert {d.id for d in vs.get_by_ids(["given"])} == {"given"}
    assert vs.store.count() == 2
    vs.store.close()


def test_one_document_per_source(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    """``group_by`` gives documents of distinct sources on every LangChain path (chunks of 4 sources)."""
    vs = MilvusHybridVectorStore(dense_encoder, uri=str(tmp_path / "groups.db"))
    vs.add_texts(CORPUS, metadatas=[{"source": f"file{i % 4}"} for i in range(len(CORPUS))])
    q = "vector database similarity search"
    expected = [h.id for h in vs.store.search(q, 3, group_by="source")]
    for docs in (
        vs.similarity_search(q, k=3, group_by="source"),
        vs.as_retriever(search_kwargs={"k": 3, "group_by": "source"}).invoke(q),
        MilvusHybridRetriever(store=vs.store, k=3, group_by="source").invoke(q),
    ):
        assert [d.id for d in docs] == expected
        assert len({d.metadata["source"] for d in docs}) == 3
    pairs = vs.similarity_search(q, k=2, group_by="source", group_size=2, mode="dense")
    assert [d.id for d in pairs] == [h.id for h in vs.store.search(q, 2, mode="dense", group_by="source", group_size=2)]
    sources = [d.metadata["source"] for d in pairs]
    assert len(set(sources)) == 2 and all(sources.count(s) <= 2 for s in sources)
