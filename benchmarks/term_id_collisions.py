"""How often two terms share a sparse dimension (client-side BM25 hashes each term to one of 2**32 - 1).

    python benchmarks/term_id_collisions.py

Counts collisions among the real vocabulary of Cranfield + CISI (the store's analyzer) and among
synthetic vocabularies of 100,000 and 1,000,000 distinct terms, next to the birthday estimate
V * (V - 1) / (2 * 2**32).
"""

from __future__ import annotations

from _common import shared_texts, table

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.store.sparse.client_bm25 import TERM_IDS, term_id


def collisions(terms: list[str]) -> int:
    return len(terms) - len({term_id(t) for t in terms})


if __name__ == "__main__":
    real = list(BM25Encoder().fit(shared_texts()).vocabulary)
    rows = []
    for label, terms in [
        ("Cranfield + CISI vocabulary", real),
        ("100,000 synthetic terms", [f"term{i}" for i in range(100_000)]),
        ("1,000,000 synthetic terms", [f"term{i}" for i in range(1_000_000)]),
    ]:
        v = len(terms)
        rows.append([label, f"{v:,}", collisions(terms), f"{v * (v - 1) / (2 * TERM_IDS):.2f}"])
    print(table(["vocabulary", "distinct terms", "terms sharing a dimension", "expected"], rows))
