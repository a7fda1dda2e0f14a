"""The dense-embedding cache: vectors read back for the same model and text, safe with two processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.encoders.embedding_cache import EmbeddingCache
from milvus_model_adapters.errors import InvalidInputError
from tests.support.cache_writer import vector_of

ROOT = Path(__file__).resolve().parents[2]


class CountingDense:
    """A dense function that records every text it encodes; documents and queries differ."""

    dim = 4

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return np.stack([vector_of(t) for t in texts])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return np.stack([vector_of(t) + 1 for t in texts])


def encoder(path: Path) -> tuple[DenseEncoder, CountingDense]:
    function = CountingDense()
    return DenseEncoder(function, cache=EmbeddingCache(path, dim=4)), function


def test_the_same_texts_are_read_back_not_encoded(tmp_path: Path) -> None:
    dense, function = encoder(tmp_path / "cache.sqlite3")
    first = dense.encode_documents(["a", "b", "c"])
    assert function.encoded == ["a", "b", "c"]
    again = dense.encode_documents(["c", "a", "new", "a"])
    assert function.encoded == ["a", "b", "c", "new"]  # only the new text, once
    np.testing.assert_allclose(again, np.stack([first[2], first[0], vector_of("new"), first[0]]))
    assert dense.cache is not None and (dense.cache.hits, dense.cache.misses) == (3, 4)


def test_a_new_process_reads_what_an_earlier_one_kept(tmp_path: Path) -> None:
    encoder(tmp_path / "cache.sqlite3")[0].encode_documents(["kept"])
    dense, function = encoder(tmp_path / "cache.sqlite3")
    np.testing.assert_allclose(dense.encode_documents(["kept"])[0], vector_of("kept"))
    assert function.encoded == []


def test_documents_and_queries_are_kept_apart(tmp_path: Path) -> None:
    dense, function = encoder(tmp_path / "cache.sqlite3")
    doc = dense.encode_documents(["same text"])
    query = dense.encode_queries(["same text"])
    assert function.encoded == ["same text", "same text"]
    np.testing.assert_allclose(query, doc + 1)


def test_a_vector_of_another_size_is_encoded_again(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    EmbeddingCache(path, dim=2).through("encode_documents", ["x"], lambda t: np.ones((len(t), 2), np.float32))
    dense, function = encoder(path)
    np.testing.assert_allclose(dense.encode_documents(["x"])[0], vector_of("x"))
    assert function.encoded == ["x"]


def test_other_weights_get_another_file(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"weights one")
    first = EmbeddingCache.for_model(model, variant="torch", dim=4, folder=tmp_path / "c")
    assert first.path == EmbeddingCache.for_model(model, variant="torch", dim=4, folder=tmp_path / "c").path
    assert first.path != EmbeddingCache.for_model(model, variant="onnx", dim=4, folder=tmp_path / "c").path
    (model / "model.safetensors").write_bytes(b"weights two")
    assert first.path != EmbeddingCache.for_model(model, variant="torch", dim=4, folder=tmp_path / "c").path
    assert first.path.parent == tmp_path / "c" / "embeddings"


def test_the_default_folder_follows_mma_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMA_CACHE_DIR", str(tmp_path / "here"))
    cache = EmbeddingCache.for_model("some/model-name", variant="torch", dim=4)
    assert cache.path.parent == tmp_path / "here" / "embeddings" and cache.path.name.startswith("model-name-")


def test_an_unwritable_folder_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    dense, _ = encoder(blocker / "cache.sqlite3")
    with pytest.raises(InvalidInputError, match="MMA_CACHE_DIR"):
        dense.encode_documents(["a"])


def test_two_processes_writing_at_once_keep_every_vector_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    # Overlapping ranges: both processes encode and write texts 100-199 at about the same time.
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.cache_writer", str(path), str(start), str(stop)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for start, stop in ((0, 200), (100, 300))
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with sqlite3.connect(path) as connection:
        (rows,) = connection.execute("SELECT count(*) FROM vectors").fetchone()
    assert rows == 300
    cache = EmbeddingCache(path, dim=4)
    texts = [f"text {i}" for i in range(300)]
    got = cache.through("encode_documents", texts, lambda missing: pytest.fail(f"encoded again: {missing[:3]}"))
    np.testing.assert_allclose(got, np.stack([vector_of(t) for t in texts]))
