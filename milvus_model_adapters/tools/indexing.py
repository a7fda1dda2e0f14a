"""Which chunks an ``mma index`` run writes: sources chunked, checked and compared with what is stored.

Everything is planned and checked before anything is written: a bad record anywhere leaves the
database as it was. A source is skipped when all of its chunks of the same content are stored, so a
run that stopped half-way is completed by the next one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from milvus_model_adapters.errors import MilvusModelAdaptersError
from milvus_model_adapters.files.chunks import chunk_document
from milvus_model_adapters.files.sources import SourceDocument
from milvus_model_adapters.store.documents import prepare


@dataclass
class IndexPlan:
    """The chunks to write, the sources whose older chunks they replace, and what is left alone."""

    texts: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    replaced_sources: list[str] = field(default_factory=list)
    written_sources: int = 0
    unchanged: int = 0
    empty: int = 0


def stored_versions(metadatas: Iterable[Mapping[str, Any]]) -> Counter[tuple[str, str]]:
    """How many chunks of each (source, fingerprint) the store holds."""
    return Counter((str(m["source"]), str(m["fingerprint"])) for m in metadatas if "source" in m and "fingerprint" in m)


def plan_index(
    sources: Sequence[SourceDocument],
    stored: Counter[tuple[str, str]],
    *,
    chunk_words: int,
    chunk_overlap: int,
) -> IndexPlan:
    """Chunk every changed source and check every chunk as the store will.

    Raises:
        InvalidInputError: On a chunk the store would refuse (too long, bad metadata), before any write.
        InvalidTypeError: On metadata Milvus cannot store.
    """
    plan = IndexPlan()
    for doc in sources:
        if not doc.text.strip():
            plan.empty += 1
            continue
        chunks = chunk_document(doc, chunk_words=chunk_words, chunk_overlap=chunk_overlap)
        if stored.get((doc.source, doc.fingerprint)) == len(chunks):
            plan.unchanged += 1
            continue
        texts, metadatas, ids = [c.text for c in chunks], [c.metadata for c in chunks], [c.id for c in chunks]
        try:
            prepare(texts, metadatas, ids)  # every check of HybridStore.add, nothing written
        except MilvusModelAdaptersError as exc:
            raise type(exc)(f"{doc.source}: {exc}") from None
        plan.texts.extend(texts)
        plan.ids.extend(ids)
        plan.metadatas.extend(metadatas)
        plan.replaced_sources.append(doc.source)
        plan.written_sources += 1
    return plan
