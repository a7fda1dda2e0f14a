from __future__ import annotations

import uuid
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="LangChain adapters need the 'langchain' extra")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.vectorstores import VectorStore  # noqa: E402
from langchain_tests.integration_tests import (  # noqa: E402
    EmbeddingsIntegrationTests,
    RetrieversIntegrationTests,
    VectorStoreIntegrationTests,
)
from langchain_tests.unit_tests import EmbeddingsUnitTests  # noqa: E402
from pymilvus import MilvusClient  # noqa: E402

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, NotFittedError  # noqa: E402
from milvus_model_adapters.langchain import (  # noqa: E402
    MilvusHybridRetriever,
    MilvusHybridVectorStore,
    MilvusModelEmbeddings,
    MilvusModelReranker,
    MilvusModelSparseEmbeddings,
)
from milvus_model_adapters.rerank import CosineReranker  # noqa: E402
from milvus_model_adapters.store import HybridStore  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402

_ENCODER: DenseEncoder | None = None


def shared_encoder() -> DenseEncoder:
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = DenseEncoder.default()
    return _ENCODER


class TestEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[MilvusModelEmbeddings]:
        return MilvusModelEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"encoder": shared_encoder()}


class TestEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[MilvusModelEmbeddings]:
        return MilvusModelEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"encoder": shared_encoder()}


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Generator[MilvusClient, None, None]:
    client = MilvusClient(str(tmp_path_factory.mktemp("lc") / "lc.db"))
    yield client
    client.close()


class TestVectorStore(VectorStoreIntegrationTests):
    @pytest.fixture
    def vectorstore(self, shared_client: MilvusClient) -> Generator[VectorStore, None, None]:  # type: ignore[override]
        store = MilvusHybridVectorStore(
            self.get_embeddings(), collection="t_" + uuid.uuid4().hex[:10], client=shared_client
        )
        yield store
        store.store.drop()


_RETRIEVER_STORE: HybridStore | None = None


class TestRetriever(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[MilvusHybridRetriever]:
        return MilvusHybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        global _RETRIEVER_STORE
        if _RETRIEVER_STORE is None:
            import tempfile

            path = Path(tempfile.mkdtemp()) / "retriever.db"
            _RETRIEVER_STORE = HybridStore(str(path), dense=shared_encoder())
            _RETRIEVER_STORE.add(CORPUS)
        return {"store": _RETRIEVER_STORE, "k": 4}

    @property
    def retriever_query_example(self) -> str:
        return "What is Milvus Lite?"


def test_embeddings_use_document_and_query_paths() -> None:
    calls: list[str] = []

    class Fn:
        dim = 2

        def encode_documents(self, docs: list[str]) -> list[list[float]]:
            calls.append("docs")
            return [[1.0, 0.0] for _ in docs]

        def encode_queries(self, queries: list[str]) -> list[list[float]]:
            calls.append("queries")
            return [[0.0, 1.0] for _ in queries]

    emb = MilvusModelEmbeddings.from_function(Fn())
    assert emb.embed_documents(["a"]) == [[1.0, 0.0]] and emb.embed_query("q") == [0.0, 1.0]
    assert calls == ["docs", "queries"]
    assert all(type(x) is float for x in emb.embed_query("q"))


async def test_async_embeddings_do_not_block(dense_encoder: DenseEncoder) -> None:
    emb = MilvusModelEmbeddings(encoder=dense_encoder)
    assert await emb.aembed_query("hi") == emb.embed_query("hi")


def test_sparse_embeddings_is_langchain_milvus_sparse() -> None:
    from langchain_milvus.utils.sparse import BaseSparseEmbedding

    sparse = MilvusModelSparseEmbeddings.bm25(corpus=CORPUS)
    assert isinstance(sparse, BaseSparseEmbedding)
    q = sparse.embed_query("vector database")
    assert q and all(isinstance(k, int) and isinstance(v, float) for k, v in q.items())
    assert len(sparse.embed_documents(CORPUS[:2])) == 2
    assert sparse.embed_query("qqqzzz") == {}
    with pytest.raises(NotFittedError):
        MilvusModelSparseEmbeddings.bm25().embed_query("x")


def test_sparse_wraps_pymilvus_function() -> None:
    from pymilvus.model.sparse import BM25EmbeddingFunction

    from milvus_model_adapters.text.analyzer import Analyzer

    fn = BM25EmbeddingFunction(analyzer=Analyzer())
    with pytest.raises(NotFittedError):
        MilvusModelSparseEmbeddings(fn).embed_query("x")
    fn.fit(CORPUS)
    assert MilvusModelSparseEmbeddings(fn).embed_query("vector database")
    with pytest.raises(InvalidTypeError):
        MilvusModelSparseEmbeddings(object())


def test_drop_in_langchain_milvus_dense_and_sparse(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    """langchain_milvus.Milvus with our dense and sparse embeddings, hybrid, on Milvus Lite."""
    from langchain_milvus import Milvus

    sparse = MilvusModelSparseEmbeddings.bm25(corpus=CORPUS)
    dense = MilvusModelEmbeddings(encoder=dense_encoder)
    store = Milvus.from_texts(
        CORPUS,
        embedding=[dense, sparse],
        vector_field=["dense", "sparse"],
        connection_args={"uri": str(tmp_path / "lcm.db")},
        index_params=[
            {"index_type": "FLAT", "metric_type": "IP"},
            {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "IP", "params": {"drop_ratio_build": 0.0}},
        ],
        # langchain-milvus otherwise searches the sparse field with drop_ratio_build=0.2, which Lite 3.x refuses.
        search_params=[{"metric_type": "IP", "params": {}}, {"metric_type": "IP", "params": {}}],
        auto_id=True,
    )
    docs = store.similarity_search(
        "inverse document frequency ranking", k=2, ranker_type="rrf", ranker_params={"k": 60}
    )
    assert docs[0].page_content == CORPUS[2]


def test_reranker_compressor_keeps_scores(dense_encoder: DenseEncoder) -> None:
    docs = [Document(page_content=t, metadata={"score": 0.1, "n": i}, id=str(i)) for i, t in enumerate(CORPUS)]
    rr = MilvusModelReranker(reranker=CosineReranker(dense_encoder), top_n=2)
    out = rr.compress_documents(docs, "Who was Alan Turing?")
    assert len(out) == 2 and out[0].id in {"9", "10"}
    assert out[0].metadata["relevance_score"] >= out[1].metadata["relevance_score"]
    assert out[0].metadata["score"] == 0.1  # the retrieval score stays
    assert "relevance_score" not in docs[9].metadata  # inputs untouched
    assert rr.compress_documents([], "q") == []
    with pytest.raises(ValueError, match="top_n must be > 0"):
        MilvusModelReranker(reranker=CosineReranker(dense_encoder), top_n=0)


def test_compressor_in_contextual_compression_retriever(dense_encoder: DenseEncoder, filled_store: HybridStore) -> None:
    from langchain_classic.retrievers import ContextualCompressionRetriever

    base = MilvusHybridRetriever(store=filled_store, k=8)
    ccr = ContextualCompressionRetriever(
        base_compressor=MilvusModelReranker(reranker=CosineReranker(dense_encoder), top_n=2),
        base_retriever=base,
    )
    out = ccr.invoke("Who was Alan Turing?")
    assert len(out) == 2 and "relevance_score" in out[0].metadata and "fused_score" in out[0].metadata


def test_retriever_documents_have_ids_and_scores(filled_store: HybridStore) -> None:
    r = MilvusHybridRetriever(store=filled_store, k=3)
    docs = r.invoke("vector database similarity search")
    assert docs[0].id == "doc0"
    assert {"score", "fused_score", "dense_score", "dense_rank"} <= set(docs[0].metadata)
    assert docs[0].metadata["topic"] == "db"
    sparse = r.invoke("inverse document frequency", mode="sparse", k=1)
    assert sparse[0].id == "doc2" and "sparse_score" in sparse[0].metadata and "dense_score" not in sparse[0].metadata
    filtered = r.invoke("milvus", filter={"topic": "other"}, k=10)
    assert filtered and all(d.metadata["topic"] == "other" for d in filtered)


async def test_retriever_async_equals_sync(filled_store: HybridStore) -> None:
    r = MilvusHybridRetriever(store=filled_store, k=3, ranker="weighted", weights=[0.6, 0.4])
    assert await r.ainvoke("jet engines") == r.invoke("jet engines")


@pytest.mark.parametrize(("kwargs", "match"), [({"k": 0}, "k must be > 0"), ({"mode": "fuzzy"}, "unknown mode")])
def test_retriever_bad_construction(filled_store: HybridStore, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MilvusHybridRetriever(store=filled_store, **kwargs)


def test_retriever_bad_call(filled_store: HybridStore) -> None:
    r = MilvusHybridRetriever(store=filled_store)
    with pytest.raises(InvalidInputError, match="unknown search option"):
        r.invoke("q", top=3)
    with pytest.raises(InvalidInputError, match="k must be > 0"):
        r.invoke("q", k=-1)
    with pytest.raises(InvalidInputError, match="unknown ranker"):
        r.invoke("q", ranker="nope")


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


def test_lcel_rag_chain_passes_context_to_model(filled_store: HybridStore) -> None:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough

    seen: list[str] = []

    class RecordingModel(GenericFakeChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(messages[-1].content)
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)

    retriever = MilvusHybridRetriever(store=filled_store, k=2)
    prompt = ChatPromptTemplate.from_template("Answer from the context.\nContext:\n{context}\n\nQuestion: {question}")
    model = RecordingModel(messages=iter([AIMessage(content="Turing.")]))
    chain = (
        {
            "context": retriever | (lambda docs: "\n".join(d.page_content for d in docs)),
            "question": RunnablePassthrough(),
        }
        | prompt
        | model
        | StrOutputParser()
    )
    assert chain.invoke("Who conducted early research in AI?") == "Turing."
    assert "Alan Turing was the first person" in seen[0]


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


@pytest.fixture(scope="module")
def complete_store(tmp_path_factory: pytest.TempPathFactory) -> Generator[MilvusHybridVectorStore, None, None]:
    vs = MilvusHybridVectorStore(shared_encoder(), uri=str(tmp_path_factory.mktemp("vs") / "complete.db"))
    twins = ["Milvus Lite keeps vectors in a local file."] * 3
    vs.add_texts([*CORPUS, *twins], ids=[*(f"c{i}" for i in range(len(CORPUS))), "t1", "t2", "t3"])
    yield vs
    vs.store.close()


@pytest.mark.parametrize(
    "options",
    [
        {"mode": "dense"},
        {"mode": "sparse"},
        {"ranker": "rrf"},
        {"ranker": "weighted"},
        {"fusion": "server", "ranker": "rrf"},
    ],
)
def test_relevance_scores_are_in_zero_one_in_every_mode(
    complete_store: MilvusHybridVectorStore, options: dict[str, Any]
) -> None:
    q = "where does Milvus Lite keep vectors?"
    found = complete_store.similarity_search_with_relevance_scores(q, k=6, **options)
    raw = complete_store.similarity_search_with_score(q, k=6, **options)
    assert [d.id for d, _ in found] == [d.id for d, _ in raw]
    relevance = [r for _, r in found]
    assert all(0.0 <= r <= 1.0 for r in relevance) and relevance == sorted(relevance, reverse=True)
    cut = relevance[2]
    kept = complete_store.similarity_search_with_relevance_scores(q, k=6, score_threshold=cut, **options)
    assert [d.id for d, _ in kept] == [d.id for d, r in found if r >= cut]


def test_relevance_of_dense_hits_is_half_of_one_plus_cosine(complete_store: MilvusHybridVectorStore) -> None:
    q = "vector database"
    [(doc, relevance)] = complete_store.similarity_search_with_relevance_scores(q, k=1, mode="dense")
    [(_, cosine)] = complete_store.similarity_search_with_score(q, k=1, mode="dense")
    assert relevance == pytest.approx((1 + cosine) / 2)
    assert complete_store._select_relevance_score_fn()(cosine) != relevance  # the store's default mode is hybrid


def test_search_by_vector_and_mmr(complete_store: MilvusHybridVectorStore) -> None:
    q = "where does Milvus Lite keep vectors?"
    vector = shared_encoder().encode_queries([q])[0].tolist()
    assert [d.id for d in complete_store.similarity_search_by_vector(vector, k=3)] == [
        d.id for d in complete_store.similarity_search(q, k=3, mode="dense")
    ]
    plain = [d.id for d in complete_store.similarity_search(q, k=3, mode="dense")]
    assert set(plain) == {"t1", "t2", "t3"}  # the three copies come first
    diverse = complete_store.max_marginal_relevance_search(q, k=3, fetch_k=10, lambda_mult=0.3, mode="dense")
    assert len({d.page_content for d in diverse}) == 3
    by_vector = complete_store.max_marginal_relevance_search_by_vector(vector, k=3, fetch_k=10, lambda_mult=0.3)
    assert [d.id for d in by_vector] == [d.id for d in diverse]
    assert (
        complete_store.max_marginal_relevance_search(q, k=3, fetch_k=10, lambda_mult=1.0, mode="dense")[0].id in plain
    )


async def test_async_mmr_and_by_vector_equal_sync(complete_store: MilvusHybridVectorStore) -> None:
    q = "jet engines"
    sync = complete_store.max_marginal_relevance_search(q, k=2, fetch_k=6)
    assert [d.id for d in await complete_store.amax_marginal_relevance_search(q, k=2, fetch_k=6)] == [
        d.id for d in sync
    ]
    vector = shared_encoder().encode_queries([q])[0].tolist()
    assert [d.id for d in await complete_store.asimilarity_search_by_vector(vector, k=2)] == [
        d.id for d in complete_store.similarity_search_by_vector(vector, k=2)
    ]


def test_as_retriever_honours_langchain_search_types(complete_store: MilvusHybridVectorStore) -> None:
    q = "where does Milvus Lite keep vectors?"
    mmr = complete_store.as_retriever(search_type="mmr", search_kwargs={"k": 3, "fetch_k": 10, "lambda_mult": 0.3})
    docs = mmr.invoke(q)
    assert [d.id for d in docs] == [d.id for d in complete_store.max_marginal_relevance_search(q, 3, 10, 0.3)]
    assert all("relevance" in d.metadata and "fused_score" in d.metadata for d in docs)  # route scores stay visible
    threshold = complete_store.as_retriever(
        search_type="similarity_score_threshold", search_kwargs={"score_threshold": 0.6, "k": 10, "mode": "dense"}
    )
    kept = threshold.invoke(q)
    assert kept and all(d.metadata["relevance"] >= 0.6 for d in kept)
    expected = [
        d.id for d, r in complete_store.similarity_search_with_relevance_scores(q, k=10, mode="dense") if r >= 0.6
    ]
    assert [d.id for d in kept] == expected
    with pytest.raises(InvalidInputError, match="needs search_kwargs\\['score_threshold'\\]"):
        complete_store.as_retriever(search_type="similarity_score_threshold")
    with pytest.raises(InvalidInputError, match="unknown search_type 'similarity_threshold'"):
        complete_store.as_retriever(search_type="similarity_threshold")


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
