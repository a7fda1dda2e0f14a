"""The LangChain loader and the LlamaIndex reader yield the chunks ``mma index`` writes (ids, text, metadata),
fed to our stores and searched; their docstring examples run."""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import re
import textwrap
from pathlib import Path

import pytest

from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.store import HybridStore
from milvus_model_adapters.tools.cli import main
from tests.support.document_files import INDEXED, SKIPPED, write_mixed_folder

CHUNKING = ("--chunk-words", "30", "--chunk-overlap", "5")


def indexed_by_cli(root: Path, db: Path) -> dict[str, tuple[str, dict[str, object]]]:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["index", str(root), "--db", str(db), "--no-progress", *CHUNKING]) == 0
    with HybridStore(str(db)) as store:
        return {d.id: (d.text, dict(d.metadata)) for d in store.documents()}


def run_docstring_example(cls: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", inspect.cleandoc(cls.__doc__ or ""), re.S)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docstring__"}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(textwrap.dedent(code), f"<{cls.__name__} docstring>", "exec"), namespace)  # noqa: S102
    assert "kettle.md" in out.getvalue()
    for value in namespace.values():
        close = getattr(value, "close", None)
        if type(value).__name__ in ("HybridStore", "MilvusHybridVectorStore") and callable(close):
            close()


# ---------------------------------------------------------------------- LangChain
def test_langchain_loader_yields_the_cli_chunks_and_searches(
    tmp_path: Path, dense_encoder: DenseEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("langchain_core")
    from milvus_model_adapters.langchain import FileChunkLoader, MilvusHybridVectorStore

    root = write_mixed_folder(tmp_path / "notes")
    expected = indexed_by_cli(root, tmp_path / "cli.db")
    loader = FileChunkLoader(root, chunk_words=30, chunk_overlap=5)
    assert inspect.isgenerator(loader.lazy_load())
    with caplog.at_level(logging.WARNING, logger="milvus_model_adapters.files.chunks"):
        docs = loader.load()
    assert {d.id: (d.page_content, d.metadata) for d in docs} == expected
    assert {Path(s.source).name: s.reason for s in loader.skipped} == SKIPPED
    assert sorted(Path(r.getMessage().split()[2]).name for r in caplog.records) == sorted(SKIPPED)

    vs = MilvusHybridVectorStore(DenseEncoder(dense_encoder.function), uri=str(tmp_path / "lc.db"))
    vs.add_documents(docs)
    vs.add_documents(loader.load())  # the same ids: replaced, not duplicated
    assert vs.store.count() == len(expected)
    (hit,) = vs.similarity_search("what does error E24 mean for the drain hose", k=1)
    assert hit.metadata["source"].endswith("manual.pdf") and hit.metadata["title"] == "Dishwasher manual"
    assert "E24" in hit.page_content and hit.metadata["page_start"] <= 2 <= hit.metadata["page_end"]
    (hit,) = vs.similarity_search("reset button", k=1, mode="sparse", filter={"title": "Router setup"})
    assert hit.metadata["source"].endswith("router.html") and "page_start" not in hit.metadata

    only_pdfs = FileChunkLoader([root / "manuals", root / "bread.txt"], include=["*.pdf", "*.txt"]).load()
    assert {Path(str(d.metadata["source"])).name for d in only_pdfs} == {"manual.pdf", "bread.txt"}


def test_langchain_loader_docstring_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("langchain_core")
    from milvus_model_adapters.langchain import FileChunkLoader

    run_docstring_example(FileChunkLoader, tmp_path, monkeypatch)


# ---------------------------------------------------------------------- LlamaIndex
def test_llama_index_reader_yields_the_cli_chunks_and_searches(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.schema import MetadataMode

    from milvus_model_adapters.llama_index import FileChunkReader, MilvusHybridVectorStore

    root = write_mixed_folder(tmp_path / "notes")
    expected = indexed_by_cli(root, tmp_path / "cli.db")
    reader = FileChunkReader(str(root), chunk_words=30, chunk_overlap=5)
    docs = reader.load_data()
    assert {d.id_: (d.text, d.metadata) for d in docs} == expected
    assert {Path(s.source).name: s.reason for s in reader.skipped} == SKIPPED
    assert all(d.get_content(metadata_mode=MetadataMode.EMBED) == d.text for d in docs)  # metadata not embedded
    llm_text = docs[0].get_content(metadata_mode=MetadataMode.LLM)
    assert "source:" in llm_text and "fingerprint" not in llm_text

    vector_store = MilvusHybridVectorStore(
        uri=str(tmp_path / "li.db"), embed_model=DenseEncoder(dense_encoder.function)
    )
    index = VectorStoreIndex(
        docs,
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=vector_store.embed_model,
    )
    rows = {d.id: d for d in vector_store.store.documents()}
    assert {i: d.text for i, d in rows.items()} == {i: t for i, (t, _) in expected.items()}  # chunks kept whole
    nodes = index.as_retriever(vector_store_query_mode="hybrid", similarity_top_k=1).retrieve("pump blocked F05")
    meta = nodes[0].node.metadata
    assert meta["source"].endswith("washer.docx") and meta["title"] == "Washing machine"
    assert {Path(str(d.metadata["source"])).relative_to(root).as_posix() for d in rows.values()} == set(INDEXED)


def test_llama_index_reader_docstring_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("llama_index.core")
    from milvus_model_adapters.llama_index import FileChunkReader

    run_docstring_example(FileChunkReader, tmp_path, monkeypatch)
