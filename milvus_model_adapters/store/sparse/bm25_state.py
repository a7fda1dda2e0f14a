"""BM25 statistics kept in the database beside the collection they describe, safe with many writers.

They live in a side collection ``<collection>_bm25``. No row is ever read, changed and written back by
two writers, so any number of processes can write at once:

* ``meta``: the settings (k1, b, IDF formula, analyzer), written once when the collection is made;
* ``d:<writer>:<seq>:<part>``: committed deltas, append-only: how many documents hold each term more
  (or fewer) after one write, and the change of the document count and total length;
* ``p:<writer>:<seq>:<part>``: the same delta while its write is under way (pending);
* ``last``: the key of the newest commit, overwritten by every writer, so that a reader notices new
  deltas with one read by primary key.

A write follows this protocol: its delta is written pending, the documents are written, then the
delta is committed (``d:`` written, ``p:`` deleted) and ``last`` overwritten. Readers count only
committed deltas. A pending delta left behind by a crash, or counts that disagree with the collection,
are repaired by recounting the stored texts into one snapshot (on opening a Milvus Lite file, whose
lock rules out other writers, or on request).
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pymilvus import DataType, MilvusClient

from milvus_model_adapters.bm25 import BM25Encoder, BM25Settings
from milvus_model_adapters.bm25.terms import AnalyzedBatch
from milvus_model_adapters.errors import StoreStateError
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.connection import query_all
from milvus_model_adapters.text.multilingual import document_languages, reads_languages

_KEY, _VALUE, _VEC = "key", "value", "vec"
_META, _LAST = "meta", "last"
_PART_BYTES = 60_000
_GET_BATCH = 256
FORMAT = 2


class Delta:
    """A change of the statistics: document frequency per term, document count and total length."""

    def __init__(self, terms: dict[str, int] | None = None, documents: int = 0, length: float = 0.0) -> None:
        self.terms = {t: c for t, c in (terms or {}).items() if c}
        self.documents = documents
        self.length = length

    @classmethod
    def of(cls, encoder: BM25Encoder, batch: AnalyzedBatch) -> Delta:
        """The change that adding the analysed ``batch`` brings to ``encoder``'s statistics."""
        return cls(encoder.batch_frequencies(batch), len(batch), float(batch.lengths.sum()))

    def __neg__(self) -> Delta:
        return Delta({t: -c for t, c in self.terms.items()}, -self.documents, -self.length)

    def plus(self, other: Delta) -> Delta:
        """The sum of two changes."""
        terms = dict(self.terms)
        for t, c in other.terms.items():
            terms[t] = terms.get(t, 0) + c
        return Delta(terms, self.documents + other.documents, self.length + other.length)

    def apply(self, encoder: BM25Encoder) -> None:
        """Change ``encoder``'s statistics by this delta."""
        encoder.apply_frequencies(self.terms, self.documents, self.length)

    def parts(self) -> list[str]:
        """The delta encoded in pieces that each fit a row (counts travel with the first)."""
        items = sorted(self.terms.items())
        pieces: list[str] = []
        start, step = 0, max(1, len(items))
        while True:
            chunk = items[start : start + step]
            head = {"n": self.documents, "l": self.length} if not pieces else {"n": 0, "l": 0.0}
            data = _encode({**head, "t": [t for t, _ in chunk], "c": [c for _, c in chunk]})
            if len(data) > _PART_BYTES and step > 1:
                step = max(1, step // 2)
                continue
            pieces.append(data)
            start += len(chunk)
            if start >= len(items):
                return pieces

    @classmethod
    def decode(cls, value: str) -> Delta:
        """The delta of one stored part."""
        data = json.loads(zlib.decompress(base64.b64decode(value)))
        return cls(dict(zip(data["t"], data["c"], strict=True)), int(data["n"]), float(data["l"]))


class BM25State:
    """Reads and writes a ``BM25Encoder``'s statistics in a side collection."""

    def __init__(self, client: MilvusClient, collection: str) -> None:
        """Bind to the side collection of ``collection``."""
        self.client = client
        self.collection = collection
        self.name = schema.statistics_collection(collection)
        self.writer = uuid.uuid4().hex[:12]
        self._seq = 0
        self._applied: set[str] = set()
        self._marker: str | None = None

    def exists(self) -> bool:
        """Whether the side collection exists."""
        return bool(self.client.has_collection(self.name))

    def create(self, encoder: BM25Encoder) -> None:
        """Create the side collection with ``encoder``'s settings."""
        s = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field(_KEY, DataType.VARCHAR, is_primary=True, max_length=64)
        s.add_field(_VALUE, DataType.VARCHAR, max_length=65535)
        s.add_field(_VEC, DataType.FLOAT_VECTOR, dim=2)
        index = self.client.prepare_index_params()
        index.add_index(field_name=_VEC, index_type="FLAT", metric_type="L2")
        self.client.create_collection(self.name, schema=s, index_params=index)
        self.client.upsert(self.name, [_row(_META, json.dumps(stored_settings(encoder.settings)))])
        self._applied, self._marker = set(), None

    def drop(self) -> None:
        """Drop the side collection."""
        if self.exists():
            self.client.drop_collection(self.name)

    def stored_settings(self) -> dict[str, Any] | None:
        """The saved settings (``format``, k1, b, epsilon, IDF formula, analyzer), or ``None``."""
        self.client.load_collection(self.name)
        rows = self.client.get(self.name, ids=[_META], output_fields=[_VALUE])
        return json.loads(rows[0][_VALUE]) if rows else None

    # ------------------------------------------------------------------ reading
    def sync(self, encoder: BM25Encoder, *, force: bool = False) -> bool:
        """Apply the deltas other writers committed since the last call; returns whether any were new.

        Without ``force``, nothing is read beyond the ``last`` marker when it has not changed.
        """
        rows = self.client.get(self.name, ids=[_LAST], output_fields=[_VALUE])
        marker = rows[0][_VALUE] if rows else ""
        if not force and marker == self._marker:
            return False
        keys = self._keys("d:")
        if not self._applied <= keys:
            # Deltas were replaced by a snapshot (a repair): count again from nothing.
            encoder.set_statistics([], encoder.document_frequencies[:0], 0, 0.0)
            self._applied = set()
        new = sorted(keys - self._applied)
        total = Delta()
        for delta in self._read(new):
            total = total.plus(delta)  # deltas commute; a delete may be read before the add it undoes
        total.apply(encoder)
        self._applied.update(new)
        self._marker = marker
        return bool(new)

    def pending(self) -> set[str]:
        """Keys of deltas whose write has not been committed."""
        return self._keys("p:")

    def _keys(self, prefix: str) -> set[str]:
        where = f'{_KEY} >= "{prefix}" and {_KEY} < "{prefix[0]};"'
        return {r[_KEY] for r in query_all(self.client, self.name, where, [_KEY], action="read BM25 statistics")}

    def _read(self, keys: list[str]) -> Iterator[Delta]:
        for start in range(0, len(keys), _GET_BATCH):
            batch = keys[start : start + _GET_BATCH]
            values = {r[_KEY]: r[_VALUE] for r in self.client.get(self.name, ids=batch, output_fields=[_KEY, _VALUE])}
            for key in batch:
                if key in values:
                    yield Delta.decode(values[key])

    # ------------------------------------------------------------------ writing
    def begin(self, delta: Delta) -> list[str]:
        """Write ``delta`` as pending; returns the keys to ``commit`` once the documents are written."""
        self._seq += 1
        parts = delta.parts()
        keys = [f"{self.writer}:{self._seq}:{i}" for i in range(len(parts))]
        self.client.upsert(self.name, [_row(f"p:{k}", v) for k, v in zip(keys, parts, strict=True)])
        return keys

    def commit(self, keys: list[str]) -> None:
        """Make pending deltas count, and tell readers."""
        found = self.client.get(self.name, ids=[f"p:{k}" for k in keys], output_fields=[_KEY, _VALUE])
        self.client.upsert(self.name, [_row("d:" + r[_KEY][2:], r[_VALUE]) for r in found])
        self.client.delete(self.name, ids=[f"p:{k}" for k in keys])
        self._applied.update(f"d:{k}" for k in keys)
        self.client.upsert(self.name, [_row(_LAST, f"d:{keys[-1]}")])

    def abandon(self, keys: list[str]) -> None:
        """Delete pending deltas whose documents were not written."""
        self.client.delete(self.name, ids=[f"p:{k}" for k in keys])

    # ------------------------------------------------------------------ repair
    def recount(self, encoder: BM25Encoder) -> None:
        """Count the statistics again from the stored texts and keep them as one snapshot.

        Only safe while no other process writes (a Milvus Lite file, whose lock ensures it).
        """
        encoder.set_statistics([], encoder.document_frequencies[:0], 0, 0.0)
        total = Delta()
        for rows in self._iterate_rows(encoder):
            batch = analyze_rows(encoder, rows, grow=True)
            total = total.plus(Delta.of(encoder, batch))
        stale = sorted(self._keys("d:") | self._keys("p:"))
        parts = total.parts()
        snapshot = f"snapshot-{uuid.uuid4().hex[:12]}"
        keys = [f"{snapshot}:0:{i}" for i in range(len(parts))]
        self.client.upsert(self.name, [_row(f"d:{k}", v) for k, v in zip(keys, parts, strict=True)])
        for start in range(0, len(stale), _GET_BATCH):
            self.client.delete(self.name, ids=stale[start : start + _GET_BATCH])
        self.client.upsert(self.name, [_row(_LAST, f"d:{keys[-1]}")])
        total.apply(encoder)
        self._applied = {f"d:{k}" for k in keys}
        self._marker = f"d:{keys[-1]}"

    def reset_format(self, encoder: BM25Encoder) -> None:
        """Rewrite the side collection of an older format with ``encoder``'s settings (then ``recount``)."""
        self.drop()
        self.create(encoder)

    def _iterate_rows(self, encoder: BM25Encoder) -> Iterator[list[dict[str, Any]]]:
        """The stored texts in batches, with their metadata when it gives the documents' languages."""
        fields = reanalysis_fields(encoder)
        batch: list[dict[str, Any]] = []
        for row in query_all(self.client, self.collection, "", fields, action="read the stored texts"):
            batch.append(row)
            if len(batch) >= 1000:
                yield batch
                batch = []
        if batch:
            yield batch


def reanalysis_fields(encoder: BM25Encoder) -> list[str]:
    """What analysing a stored document again needs: its text, and its metadata if that gives its language."""
    return [schema.TEXT, schema.METADATA] if reads_languages(encoder.analyzer) else [schema.TEXT]


def analyze_rows(encoder: BM25Encoder, rows: Sequence[Mapping[str, Any]], *, grow: bool = False) -> AnalyzedBatch:
    """The analysis of rows' texts, each in the language its metadata gives (a multilingual analyzer)."""
    languages = document_languages(encoder.analyzer, (r.get(schema.METADATA) for r in rows))
    return encoder.analyze([r[schema.TEXT] for r in rows], grow=grow, languages=languages)


def check_format(settings: dict[str, Any], name: str) -> int:
    """The format of stored settings, if this version reads it.

    Raises:
        StoreStateError: For a format newer than this version knows.
    """
    found = settings.get("format")
    if found not in (1, FORMAT):
        raise StoreStateError(f"unknown BM25 state format {found!r} in {name!r}; upgrade milvus-model-adapters")
    return int(found)


def stored_settings(settings: BM25Settings) -> dict[str, Any]:
    """What the meta row keeps: the layout (``format``, how term ids are made) and the BM25 settings."""
    return {"format": FORMAT, "term_ids": "blake2b-32", **settings.to_json()}


def _encode(data: dict[str, Any]) -> str:
    return base64.b64encode(zlib.compress(json.dumps(data, ensure_ascii=False).encode(), 6)).decode()


def _row(key: str, value: str) -> dict[str, Any]:
    return {_KEY: key, _VALUE: value, _VEC: [0.0, 0.0]}
