"""Build, search, export and import a collection; run by this Python or by the other Milvus Lite generation's.

``python tests/transfer_peer.py build|build-typed|search|columns|export|import DB [FILE]``: ``search`` prints
the results as JSON and ``columns`` the collection's typed metadata columns with the ids a filter on each
finds, the others print nothing. Everything uses :class:`tests.support.fixed_dense.HashDense`, so no model is
loaded and both generations compute the same vectors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from milvus_model_adapters.store import HybridStore  # noqa: E402
from milvus_model_adapters.tools.transfer import export_database, import_collection  # noqa: E402
from tests.support.fixed_dense import HashDense  # noqa: E402

WORDS = ["wing", "lift", "drag", "engine", "thrust", "boiler", "valve", "kettle", "flow", "heat", "milvus", "vector"]
QUERIES = ["wing lift", "boiler valve heat", "vector milvus", "thrust engine flow"]


def corpus() -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """40 documents with varied metadata (nested, lists, unicode, numbers, booleans), one of stopwords only."""
    texts = [" ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 3 + i % 6)) + f" doc{i}" for i in range(40)]
    texts[39] = "up and down, over and under"  # only stopwords: an empty BM25 vector, on every engine
    metas: list[dict[str, Any]] = [
        {"n": i, "half": i / 2, "even": i % 2 == 0, "tags": ["a", "b"][: i % 3], "who": {"name": f"Zoë {i}"}}
        for i in range(40)
    ]
    return texts, metas, [f"id-{i:02d}" for i in range(40)]


def build(db: str) -> None:
    texts, metas, ids = corpus()
    with HybridStore(db, dense=HashDense()) as store:
        for start in range(0, 40, 15):  # several writes: BM25 statistics grow between them
            store.add(texts[start : start + 15], metadatas=metas[start : start + 15], ids=ids[start : start + 15])
        store.refresh_bm25()


TYPED = {"n": "int64", "half": "double", "even": "bool", "tags": "array<varchar>"}
"""Typed metadata columns of ``build-typed`` (the array where the engine returns arrays: not Milvus Lite 2.5)."""
TYPED_FILTERS = {"n": {"$in": [1, 2, 30]}, "half": {"$gt": 15.5}, "even": False, "tags": {"$contains": "b"}}


def build_typed(db: str) -> None:
    texts, metas, ids = corpus()
    with HybridStore(db, dense=HashDense()) as probe:
        arrays = probe.engine.array_columns
        probe.drop()
    fields = TYPED if arrays else {k: v for k, v in TYPED.items() if k != "tags"}
    with HybridStore(db, dense=HashDense(), fields=fields) as store:
        store.add(texts, metadatas=metas, ids=ids)


def columns(db: str) -> dict[str, Any]:
    """The columns' types and, for each filter of ``TYPED_FILTERS``, the ids it finds."""
    with HybridStore(db, dense=HashDense()) as store:
        found = {key: sorted(store.ids(filter={key: flt})) for key, flt in TYPED_FILTERS.items()}
        return {"types": {k: f.type for k, f in store.fields.items()}, "found": found}


def search(db: str) -> dict[str, list[tuple[str, float]]]:
    """Top 5 of every query in every mode, as ``{"mode|query": [(id, score), ...]}``."""
    with HybridStore(db, dense=HashDense()) as store:
        return {
            f"{mode}|{q}": [(h.id, h.score) for h in store.search(q, 5, mode=mode)]
            for mode in ("dense", "sparse", "hybrid")
            for q in QUERIES
        }


def main(argv: list[str]) -> None:
    command, db = argv[0], argv[1]
    if command == "build":
        build(db)
    elif command == "build-typed":
        build_typed(db)
    elif command == "columns":
        print(json.dumps(columns(db)))
    elif command == "search":
        print(json.dumps(search(db)))
    elif command == "export":
        with open(argv[2], "w", encoding="utf-8") as out:
            export_database(db, out)
    elif command == "import":
        import_collection(argv[2], db, dense=HashDense())
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
