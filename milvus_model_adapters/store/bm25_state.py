"""BM25 vocabulary and statistics kept in the database, beside the collection they describe.

They live in a side collection ``<collection>_bm25`` as a few rows of text: a meta row, the
vocabulary in append-only chunks and the document frequencies (zlib + base64). A write follows
this protocol, so that a crash at any point leaves a state that :meth:`BM25State.load` repairs:

1. new vocabulary chunks and ``pending = true`` are written (terms before rows: a stored row never
   refers to a term the database does not know);
2. the documents are written to the collection;
3. document frequencies, counts and ``pending = false`` are written.

On open, ``pending`` or a document count different from the collection's means a write was cut
short; the statistics are then recounted from the stored rows (each row keeps its text,
from which its terms are derived again with the stored analyzer).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
from pymilvus import DataType, MilvusClient

from milvus_model_adapters.bm25 import BM25Encoder
from milvus_model_adapters.errors import StoreStateError
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.connection import query_all

_KEY, _VALUE, _VEC = "key", "value", "vec"
_META = "meta"
_CHUNK_BYTES = 60_000
FORMAT = 1


class BM25State:
    """Reads and writes a :class:`BM25Encoder`'s statistics in a side collection."""

    def __init__(self, client: MilvusClient, collection: str) -> None:
        """Bind to the side collection of ``collection``."""
        self.client = client
        self.collection = collection
        self.name = f"{collection}_bm25"
        self._vocab_chunks: list[tuple[int, int]] = []

    def exists(self) -> bool:
        """Whether the side collection exists."""
        return bool(self.client.has_collection(self.name))

    def create(self) -> None:
        """Create the side collection."""
        s = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field(_KEY, DataType.VARCHAR, is_primary=True, max_length=64)
        s.add_field(_VALUE, DataType.VARCHAR, max_length=65535)
        s.add_field(_VEC, DataType.FLOAT_VECTOR, dim=2)
        index = self.client.prepare_index_params()
        index.add_index(field_name=_VEC, index_type="FLAT", metric_type="L2")
        self.client.create_collection(self.name, schema=s, index_params=index)
        self._vocab_chunks = []

    def drop(self) -> None:
        """Drop the side collection."""
        if self.exists():
            self.client.drop_collection(self.name)

    def load(self, encoder: BM25Encoder, *, stored_rows: int) -> bool:
        """Fill ``encoder`` from the database; recount from the rows if a write was cut short.

        Args:
            encoder: An encoder whose analyzer and parameters match the stored ones.
            stored_rows: Number of rows in the collection now.

        Returns:
            Whether the statistics had to be recounted.
        """
        self.client.load_collection(self.name)
        meta_rows = self.client.get(self.name, ids=[_META], output_fields=[_VALUE])
        if not meta_rows:
            self._vocab_chunks = []
            if stored_rows:
                raise StoreStateError(
                    f"collection {self.collection!r} holds {stored_rows} rows but its BM25 statistics are missing"
                )
            return False
        meta = json.loads(meta_rows[0][_VALUE])
        if meta.get("format") != FORMAT:
            raise StoreStateError(f"unknown BM25 state format {meta.get('format')!r} in {self.name!r}")
        self._vocab_chunks = [(int(a), int(b)) for a, b in meta["vocab_chunks"]]
        keys = [f"v{i}" for i in range(len(self._vocab_chunks))] + [f"d{i}" for i in range(meta["df_chunks"])]
        values = (
            {r[_KEY]: r[_VALUE] for r in self.client.get(self.name, ids=keys, output_fields=[_KEY, _VALUE])}
            if keys
            else {}
        )
        words: list[str] = []
        for i in range(len(self._vocab_chunks)):
            words.extend(json.loads(values[f"v{i}"]))
        blob = "".join(values[f"d{i}"] for i in range(meta["df_chunks"]))
        df = np.frombuffer(zlib.decompress(base64.b64decode(blob)), dtype=np.int64) if blob else np.zeros(0, np.int64)
        encoder.set_statistics(words, df, int(meta["corpus_size"]), float(meta["total_length"]))
        if meta.get("pending") or encoder.corpus_size != stored_rows:
            self.recount(encoder)
            return True
        return False

    def recount(self, encoder: BM25Encoder) -> None:
        """Recount document frequencies, count and total length from the stored texts, then save them.

        The vocabulary is kept (it only grows, and was written before any row that uses it), so the
        stored sparse vectors stay valid.
        """
        encoder.set_statistics(list(encoder.vocabulary), np.zeros(encoder.dim, dtype=np.int64), 0, 0.0)
        for texts in self._iterate_texts():
            encoder.update(encoder.analyze(texts, grow=True))
        self.save_vocab(encoder, pending=True)
        self.save_stats(encoder)

    def _iterate_texts(self) -> Iterator[list[str]]:
        batch: list[str] = []
        for row in query_all(self.client, self.collection, "", [schema.TEXT], action="read the stored texts"):
            batch.append(row[schema.TEXT])
            if len(batch) >= 1000:
                yield batch
                batch = []
        if batch:
            yield batch

    def save_vocab(self, encoder: BM25Encoder, *, pending: bool = True) -> None:
        """Write vocabulary chunks that changed, and the meta row with ``pending`` set."""
        words = list(encoder.vocabulary)
        done = self._vocab_chunks[-1][1] if self._vocab_chunks else 0
        if len(words) == done and self._vocab_chunks:
            self._write_meta(encoder, pending=pending)
            return
        # Re-chunk from the start of the last chunk (it may have room) to the end.
        chunks = self._vocab_chunks[:-1] if self._vocab_chunks else []
        start = chunks[-1][1] if chunks else 0
        rows = []
        while start < len(words) or not chunks:
            end, size = start, 2
            while end < len(words) and size + len(words[end].encode()) * 2 + 3 < _CHUNK_BYTES:
                size += len(words[end].encode()) * 2 + 3
                end += 1
            if end == start and start < len(words):
                end += 1  # a single oversized term still gets a chunk of its own
            rows.append(self._row(f"v{len(chunks)}", json.dumps(words[start:end])))
            chunks.append((start, end))
            start = end
            if start >= len(words):
                break
        self._vocab_chunks = chunks
        self.client.upsert(self.name, rows)
        self._write_meta(encoder, pending=pending)

    def save_stats(self, encoder: BM25Encoder) -> None:
        """Write document frequencies and counts, and clear ``pending``."""
        blob = base64.b64encode(zlib.compress(encoder.document_frequencies.tobytes(), 1)).decode()
        parts = [blob[i : i + _CHUNK_BYTES] for i in range(0, len(blob), _CHUNK_BYTES)] or [""]
        self.client.upsert(self.name, [self._row(f"d{i}", p) for i, p in enumerate(parts)])
        self._write_meta(encoder, pending=False, df_chunks=len(parts))

    def _write_meta(self, encoder: BM25Encoder, *, pending: bool, df_chunks: int | None = None) -> None:
        if df_chunks is None:
            current = self.client.get(self.name, ids=[_META], output_fields=[_VALUE])
            df_chunks = json.loads(current[0][_VALUE])["df_chunks"] if current else 0
        meta = {
            "format": FORMAT,
            "pending": pending,
            "corpus_size": encoder.corpus_size,
            "total_length": encoder.total_length,
            "vocab_size": encoder.dim,
            "vocab_chunks": self._vocab_chunks,
            "df_chunks": df_chunks,
            "k1": encoder.k1,
            "b": encoder.b,
            "epsilon": encoder.epsilon,
            "idf": encoder.idf_formula,
            "analyzer": _analyzer_config(encoder),
        }
        self.client.upsert(self.name, [self._row(_META, json.dumps(meta))])

    def stored_settings(self) -> dict[str, Any] | None:
        """The saved k1, b, epsilon, IDF formula and analyzer settings, or ``None`` if nothing is saved yet."""
        self.client.load_collection(self.name)
        rows = self.client.get(self.name, ids=[_META], output_fields=[_VALUE])
        if not rows:
            return None
        meta = json.loads(rows[0][_VALUE])
        return {k: meta.get(k) for k in ("k1", "b", "epsilon", "idf", "analyzer")}

    @staticmethod
    def _row(key: str, value: str) -> dict[str, Any]:
        return {_KEY: key, _VALUE: value, _VEC: [0.0, 0.0]}


def _analyzer_config(encoder: BM25Encoder) -> dict[str, Any] | None:
    config = getattr(encoder.analyzer, "config", None)
    return config() if callable(config) else None
