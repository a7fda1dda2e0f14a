"""Export a sentence-transformers model to ONNX once, and keep it in the user's cache.

The export runs offline from the model's own folder (the bundled MiniLM by default): torch traces the
transformer, ONNX Runtime's dynamic quantizer makes the int8 copy. Files are keyed by a digest of the
model's configuration and weights, so a changed model is exported again, and written under a file lock
and moved into place whole, so two processes exporting at once leave one good copy and neither reads a
half-written file.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from milvus_model_adapters._cache import cache_root
from milvus_model_adapters._deps import require
from milvus_model_adapters.encoders.models import WEIGHT_FILES, model_digest
from milvus_model_adapters.errors import InvalidInputError

EXPORT_FORMAT = "1"
"""Changes when the exported graph changes, so older cached exports are not reused."""

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_PROBES = ("Milvus stores vectors.", "A second, somewhat longer probe sentence for the export check.")


@dataclass(frozen=True)
class OnnxExport:
    """Where an exported model is, and whether this call wrote it."""

    path: Path
    """The ``.onnx`` file."""
    exported: bool
    """Whether this call exported it (``False``: it came from the cache)."""


def export_onnx(
    model_folder: str | Path, *, quantized: bool = False, cache_dir: str | Path | None = None
) -> OnnxExport:
    """Return the ONNX file of a model, exporting (and quantizing) it on first use.

    Args:
        model_folder: A sentence-transformers model folder whose transformer is BERT-like (BERT,
            MiniLM, RoBERTa, XLM-RoBERTa, ELECTRA).
        quantized: Return the int8 copy (weights per output channel, activations quantized at run time).
        cache_dir: Where exports are kept (default: ``cache_root``).

    Raises:
        MissingDependencyError: If onnx, onnxruntime or torch is missing (extra ``onnx``).
        InvalidInputError: If the folder holds no weights, the transformer is not BERT-like, the
            exported graph does not reproduce the model, or the cache folder cannot be written.
    """
    folder = Path(model_folder)
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        raise InvalidInputError(f"{folder} holds no model weights ({' or '.join(WEIGHT_FILES)})")
    for module in ("onnx", "onnxruntime", "filelock"):
        require(module, extra="onnx", purpose="ONNX encoding")
    require("torch", package="torch", purpose="exporting a model to ONNX")
    from filelock import FileLock

    target = Path(cache_dir) if cache_dir is not None else cache_root()
    place = target / "onnx" / f"{folder.name or 'model'}-{model_digest(folder, salt=EXPORT_FORMAT)}"
    try:
        place.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(
            f"cannot keep ONNX exports in {target} ({exc.strerror or exc}); set MMA_CACHE_DIR or cache_dir"
        ) from None
    fp32, int8 = place / "model.onnx", place / "model_int8.onnx"
    wanted = int8 if quantized else fp32
    if wanted.is_file():
        return OnnxExport(wanted, exported=False)
    with FileLock(str(place / ".lock")):
        if wanted.is_file():  # another process finished it while this one waited
            return OnnxExport(wanted, exported=False)
        if not fp32.is_file():
            _write_whole(fp32, lambda tmp: _export_fp32(folder, tmp))
            (place / "source.json").write_text(json.dumps({"model": str(folder), "format": EXPORT_FORMAT}) + "\n")
        if quantized:
            _write_whole(int8, lambda tmp: _quantize(fp32, tmp))
    return OnnxExport(wanted, exported=True)


def _write_whole(path: Path, write: Any) -> None:
    """Write ``path`` through a temporary file in the same folder, then move it into place at once."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _shape_free(model: Any) -> Any:
    """The transformer from embeddings to last hidden state, with an attention mask torch traces for any shape."""
    import torch

    class ShapeFree(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.model.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
            blocked = 1.0 - attention_mask[:, None, None, :].to(hidden.dtype)
            additive = blocked * torch.finfo(hidden.dtype).min
            for layer in self.model.encoder.layer:
                out = layer(hidden, attention_mask=additive)
                hidden = out[0] if isinstance(out, tuple) else out
            return hidden

    return ShapeFree().eval()


def _export_fp32(folder: Path, path: Path) -> None:
    import numpy as np
    import onnxruntime
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    if not (hasattr(model, "embeddings") and hasattr(getattr(model, "encoder", None), "layer")):
        raise InvalidInputError(
            f"the ONNX path supports BERT-like transformers (BERT, MiniLM, RoBERTa, ELECTRA); "
            f"{folder} holds a {model.config.model_type!r} model"
        )
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    sample = tokenizer(list(_PROBES), padding=True, return_tensors="pt")
    inputs = tuple(sample.get(name, torch.zeros_like(sample["input_ids"])) for name in _INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _shape_free(model),
            inputs,
            str(path),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    # The graph must reproduce the model: one probe at a time, so no padding is involved.
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for probe in _PROBES:
        encoded = tokenizer([probe], return_tensors="pt")
        feed = {name: encoded.get(name, torch.zeros_like(encoded["input_ids"])) for name in _INPUTS}
        with torch.no_grad():
            expected = model(**feed).last_hidden_state.numpy()
        got = session.run(None, {name: value.numpy().astype(np.int64) for name, value in feed.items()})[0]
        if not np.allclose(got, expected, atol=1e-3):
            raise InvalidInputError(
                f"the ONNX export of {folder} does not reproduce the model "
                f"(largest difference {float(np.abs(got - expected).max()):.3g}); use the torch backend"
            )


def _quantize(fp32: Path, path: Path) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantizer logs through the root logger; a handler for the call keeps it from configuring logging.
    root = logging.getLogger()
    quiet = logging.NullHandler()
    root.addHandler(quiet)
    try:
        quantize_dynamic(
            str(fp32),
            str(path),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
    finally:
        root.removeHandler(quiet)
