"""BM25 statistics of a collection shared by tenants: counted over every tenant's documents, or per tenant?

Ranks each tenant's documents for its own queries with this package's BM25 two ways: statistics (document
frequencies, average length) of the whole collection, as a store with ``tenant_field`` keeps them, and
statistics of the tenant's documents alone. Tenants: Cranfield and CISI as two tenants of one collection (two
unrelated subjects), and each corpus split at random into 3 and 10 tenants (a query goes to a random tenant;
its judgments keep that tenant's documents; a query left with none is skipped). Prints nDCG@10 and the
statistics each choice keeps (terms counted, summed over tenants).

    python benchmarks/tenant_idf.py
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import DATASETS, table

from milvus_model_adapters.bm25 import BM25Encoder
from milvus_model_adapters.tools.evaluation import BeirDataset, load_beir, ndcg_at_k

Tenant = tuple[list[str], list[str], dict[str, str], dict[str, dict[str, int]]]
"""A tenant's document ids, texts, queries and judgments."""


def tenants_of(dataset: BeirDataset, parts: int, seed: int) -> list[Tenant]:
    """``dataset`` split at random into ``parts`` tenants (documents and queries)."""
    ids, texts, _ = dataset.documents()
    rng = np.random.default_rng(seed)
    owner = dict(zip(ids, rng.integers(0, parts, len(ids)).tolist(), strict=True))
    out: list[Tenant] = []
    queries = dataset.judged_queries()
    asked = dict(zip(queries, rng.integers(0, parts, len(queries)).tolist(), strict=True))
    for part in range(parts):
        mine = [i for i, doc in enumerate(ids) if owner[doc] == part]
        judged = {
            q: {d: g for d, g in dataset.qrels[q].items() if owner.get(d) == part and g > 0}
            for q in queries
            if asked[q] == part
        }
        judged = {q: j for q, j in judged.items() if j}
        out.append(([ids[i] for i in mine], [texts[i] for i in mine], {q: queries[q] for q in judged}, judged))
    return out


def ndcg(tenants: list[Tenant], statistics: dict[int, BM25Encoder]) -> float:
    """Mean nDCG@10 of every tenant's queries over its documents, each tenant ranked with ``statistics[t]``."""
    scores = []
    for t, (ids, texts, queries, judged) in enumerate(tenants):
        if not queries:
            continue
        encoder = statistics[t]
        documents = encoder.encode_documents(texts)
        matrix = (documents @ encoder.encode_queries(list(queries.values())).T).toarray()
        for column, query in enumerate(queries):
            order = np.argsort(-matrix[:, column], kind="stable")[:10]
            scores.append(ndcg_at_k([ids[i] for i in order], judged[query], 10))
    return float(np.mean(scores))


def compare(name: str, tenants: list[Tenant]) -> list[object]:
    """One table row: nDCG@10 with collection-wide and per-tenant statistics, and the terms each keeps."""
    every = [text for _, texts, _, _ in tenants for text in texts]
    collection = BM25Encoder().fit(every)
    own = {t: BM25Encoder().fit(texts) for t, (_, texts, _, _) in enumerate(tenants)}
    queries = sum(len(q) for _, _, q, _ in tenants)
    global_ndcg = ndcg(tenants, dict.fromkeys(range(len(tenants)), collection))
    tenant_ndcg = ndcg(tenants, own)
    terms_own = sum(len(e.vocabulary) for e in own.values())
    return [
        name,
        len(tenants),
        queries,
        global_ndcg,
        tenant_ndcg,
        tenant_ndcg - global_ndcg,
        len(collection.vocabulary),
        terms_own,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cranfield, cisi = load_beir(DATASETS / "cranfield"), load_beir(DATASETS / "cisi")
    rows = [
        compare(
            "Cranfield + CISI, one tenant each", tenants_of(cranfield, 1, args.seed) + tenants_of(cisi, 1, args.seed)
        )
    ]
    for dataset in (cranfield, cisi):
        for parts in (3, 10):
            rows.append(compare(f"{dataset.name} in {parts} random tenants", tenants_of(dataset, parts, args.seed)))
    headers = [
        "tenants",
        "n",
        "queries",
        "nDCG@10 collection IDF",
        "nDCG@10 tenant IDF",
        "tenant - collection",
        "terms kept (collection)",
        "terms kept (per tenant)",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
