"""LangChain's standard test suites (langchain-tests) for the embeddings, the vector store and the retriever."""

from __future__ import annotations

import uuid
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="LangChain adapters need the 'langchain' extra")

from langchain_core.vectorstores import VectorStore  # noqa: E402
from langchain_tests.integration_tests import (  # noqa: E402
    EmbeddingsIntegrationTests,
    RetrieversIntegrationTests,
    VectorStoreIntegrationTests,
)
from langchain_tests.unit_tests import EmbeddingsUnitTests  # noqa: E402
from pymilvus import MilvusClient  # noqa: E402

from milvus_model_adapters.langchain import (  # noqa: E402
    MilvusHybridRetriever,
    MilvusHybridVectorStore,
    MilvusModelEmbeddings,
)
from milvus_model_adapters.store import HybridStore  # noqa: E402
from tests.integration.langchain.encoder import shared_encoder  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402


class _OurEmbeddings:
    """What both standard embeddings suites build: ours, over the shared encoder."""

    @property
    def embeddings_class(self) -> type[MilvusModelEmbeddings]:
        return MilvusModelEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"encoder": shared_encoder()}


class TestEmbeddingsUnit(_OurEmbeddings, EmbeddingsUnitTests):
    pass


class TestEmbeddingsIntegration(_OurEmbeddings, EmbeddingsIntegrationTests):
    pass


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
