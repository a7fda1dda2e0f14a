"""ONNX Runtime encoding: exported from the model's own folder, cached, equal to sentence-transformers.

Tiny sentence-transformers models (random weights, real file layout) are built in the test; the
bundled all-MiniLM-L6-v2 is exported for the seed numbers and the store.
"""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from milvus_model_adapters import _deps
from milvus_model_adapters.encoders import dense as dense_module
from milvus_model_adapters.encoders import onnx_export
from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.encoders.onnx import OnnxDenseFunction
from milvus_model_adapters.errors import InvalidInputError, MissingDependencyError
from milvus_model_adapters.store import HybridStore
from tests.support.corpus import CORPUS
from tests.support.tiny_models import save_tiny_bert

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

SEED = "Artificial intelligence was founded as an academic discipline in 1956."
SEED_VECTOR_START = [-3.09392996e-02, -1.80662833e-02, 1.34775648e-02, 2.77156215e-02]
# Texts of very different lengths, so one batch holds much padding.
TEXTS = [*CORPUS, "x", "Milvus " * 40, "a b", SEED]


def build_tiny_model(
    folder: Path, *, pooling: str = "mean", normalize: bool = True, seed: int = 0, prompt: str | None = None
) -> Path:
    """A sentence-transformers folder: a two-layer BERT with random weights and a word-level vocabulary."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    bert = save_tiny_bert(folder / "bert", (w.strip(".,").lower() for text in TEXTS for w in text.split()), seed=seed)
    word = Transformer(str(bert), max_seq_length=48)
    layers: list[Any] = [word, Pooling(word.get_embedding_dimension(), pooling_mode=pooling)]
    if normalize:
        layers.append(Normalize())
    out = folder / "model"
    prompts = {"query": prompt} if prompt else None
    model = SentenceTransformer(
        modules=layers, device="cpu", prompts=prompts, default_prompt_name="query" if prompt else None
    )
    model.save(str(out))
    shutil.rmtree(bert)
    return out


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-st"))


def torch_vectors(folder: Path, texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    return np.asarray(model.encode(texts, batch_size=len(texts)), dtype=np.float32)


@pytest.mark.parametrize(
    ("pooling", "normalize", "prompt"), [("mean", True, None), ("cls", True, None), ("max", False, "milvus: ")]
)
def test_onnx_equals_sentence_transformers(tmp_path: Path, pooling: str, normalize: bool, prompt: str | None) -> None:
    folder = build_tiny_model(tmp_path / "m", pooling=pooling, normalize=normalize, prompt=prompt)
    function = OnnxDenseFunction(folder, cache_dir=tmp_path / "cache", batch_size=32)
    assert function.exported and function.dim == 32 and function.max_seq_length == 48
    got = np.stack(function.encode_documents(TEXTS))
    expected = torch_vectors(folder, TEXTS)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.stack(function.encode_queries(TEXTS[:3])) == pytest.approx(expected[:3], abs=1e-5)


def test_int8_is_close_and_unit_length(tiny_model: Path, tmp_path: Path) -> None:
    fp32 = np.stack(OnnxDenseFunction(tiny_model, cache_dir=tmp_path).encode_documents(TEXTS))
    int8 = OnnxDenseFunction(tiny_model, quantized=True, cache_dir=tmp_path)
    assert int8.onnx_path.name == "model_int8.onnx" and int8.onnx_path.parent == int8.onnx_path.parent
    vectors = np.stack(int8.encode_documents(TEXTS))
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(len(TEXTS)), abs=1e-5)
    assert float(np.min(np.sum(vectors * fp32, axis=1))) > 0.95


def test_exported_once_then_read_from_the_cache(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = OnnxDenseFunction(tiny_model, quantized=True, cache_dir=tmp_path)
    assert first.exported

    def refuse(*args: Any) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_export, "_export_fp32", refuse)
    monkeypatch.setattr(onnx_export, "_quantize", refuse)
    for quantized in (False, True):
        again = OnnxDenseFunction(tiny_model, quantized=quantized, cache_dir=tmp_path)
        assert not again.exported
    place = first.onnx_path.parent
    assert sorted(p.name for p in place.iterdir()) == [".lock", "model.onnx", "model_int8.onnx", "source.json"]

    # Other weights are another model: exported anew, beside the first.
    other = build_tiny_model(tmp_path / "other", seed=1)
    monkeypatch.undo()
    changed = OnnxDenseFunction(other, cache_dir=tmp_path)
    assert changed.exported and changed.onnx_path.parent != place


def _encode_in_child(folder: str, cache: str) -> tuple[bool, list[list[float]]]:
    function = OnnxDenseFunction(folder, quantized=True, cache_dir=cache)
    return function.exported, [v.tolist() for v in function.encode_documents(TEXTS)]


def test_two_processes_exporting_at_once_share_one_copy(tiny_model: Path, tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.starmap(_encode_in_child, [(str(tiny_model), str(tmp_path))] * 2)
    assert sum(exported for exported, _ in results) == 1
    np.testing.assert_allclose(np.array(results[0][1]), np.array(results[1][1]), atol=1e-6)
    (place,) = (tmp_path / "onnx").iterdir()
    assert not [p for p in place.iterdir() if p.name.endswith(".tmp")]


def test_a_missing_extra_is_named(tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = _deps.is_installed
    monkeypatch.setattr(_deps, "is_installed", lambda module: module != "onnx" and real(module))
    with pytest.raises(MissingDependencyError, match=r"milvus-model-adapters\[onnx\]"):
        OnnxDenseFunction(tiny_model, cache_dir=tmp_path)
    assert not (tmp_path / "onnx").exists()


def test_what_the_onnx_path_cannot_run_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no modules.json"):
        OnnxDenseFunction(tiny_model / "1_Pooling", cache_dir=tmp_path)
    dense_layer = tmp_path / "with-dense"
    shutil.copytree(tiny_model, dense_layer)
    modules = (dense_layer / "modules.json").read_text()
    (dense_layer / "modules.json").write_text(modules.replace('Normalize"', 'Dense"'))
    with pytest.raises(InvalidInputError, match="Transformer \\+ Pooling"):
        OnnxDenseFunction(dense_layer, cache_dir=tmp_path)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(InvalidInputError, match="cannot keep ONNX exports in .*a-file"):
        OnnxDenseFunction(tiny_model, cache_dir=blocked)
    with pytest.raises(InvalidInputError, match="backend must be one of"):
        DenseEncoder.default(backend="tensorrt")
    assert not (tmp_path / "onnx").exists()


@pytest.fixture(scope="module")
def minilm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("minilm-onnx")


def test_bundled_model_keeps_the_seed_numbers(minilm_cache: Path, dense_encoder: DenseEncoder) -> None:
    encoder = DenseEncoder(OnnxDenseFunction(cache_dir=minilm_cache))
    assert encoder.dim == 384 and encoder.max_tokens == 256
    assert encoder.encode_query(SEED)[:4] == pytest.approx(SEED_VECTOR_START, abs=1e-5)
    onnx_vectors = encoder.encode_documents(TEXTS)
    torch_vectors_ = dense_encoder.encode_documents(TEXTS)
    assert float(np.min(np.sum(onnx_vectors * torch_vectors_, axis=1))) >= 0.9999
    int8 = DenseEncoder(OnnxDenseFunction(quantized=True, cache_dir=minilm_cache)).encode_documents(TEXTS)
    assert float(np.min(np.sum(int8 * torch_vectors_, axis=1))) >= 0.95


def test_default_backends_share_one_function(minilm_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    OnnxDenseFunction(quantized=True, cache_dir=minilm_cache, batch_size=32)  # the export, if not made yet
    monkeypatch.setenv("MMA_CACHE_DIR", str(minilm_cache))
    monkeypatch.setattr(dense_module, "_DEFAULT_FUNCTIONS", {})  # none made by earlier tests
    one, two = DenseEncoder.default(backend="onnx-int8"), DenseEncoder.default(backend="onnx-int8")
    assert one.function is two.function and isinstance(one.function, OnnxDenseFunction)
    assert not one.function.exported and one.function.batch_size == 32  # ONNX passes default to 32 texts
    assert not one.is_default_model  # the cosine reranker must not take its vectors for torch ones


def test_hybrid_store_over_onnx_int8(minilm_cache: Path, tmp_path: Path) -> None:
    dense = DenseEncoder(OnnxDenseFunction(quantized=True, cache_dir=minilm_cache))
    with HybridStore(str(tmp_path / "onnx.db"), dense=dense) as store:
        store.add(CORPUS, ids=[f"d{i}" for i in range(len(CORPUS))])
        for mode in ("dense", "hybrid"):
            hits = store.search("When was AI founded as a discipline?", 3, mode=mode)
            assert hits[0].id == "d8"


def test_threads_share_one_function(tiny_model: Path, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    function = OnnxDenseFunction(tiny_model, cache_dir=tmp_path, batch_size=2)
    alone = np.stack(function.encode_documents(TEXTS))
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda _: np.stack(function.encode_documents(TEXTS)), range(8)))
    for vectors in together:
        np.testing.assert_allclose(vectors, alone, atol=1e-6)


def test_both_frameworks_embed_through_onnx(minilm_cache: Path) -> None:
    pytest.importorskip("langchain_core")
    pytest.importorskip("llama_index.core")
    from milvus_model_adapters.langchain import MilvusModelEmbeddings
    from milvus_model_adapters.llama_index import MilvusModelEmbedding

    encoder = DenseEncoder(OnnxDenseFunction(quantized=True, cache_dir=minilm_cache))
    expected = encoder.encode_query(SEED)
    langchain_vector = MilvusModelEmbeddings(encoder=encoder).embed_query(SEED)
    llama_index_vector = MilvusModelEmbedding(encoder).get_query_embedding(SEED)
    assert langchain_vector == pytest.approx(expected.tolist(), abs=1e-6)
    assert llama_index_vector == pytest.approx(expected.tolist(), abs=1e-6)
