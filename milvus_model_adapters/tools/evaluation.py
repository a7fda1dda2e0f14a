"""Retrieval evaluation on BEIR-layout collections: nDCG@10, Recall@100 and MRR@10.

A BEIR folder holds ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` (``_id``,
``text``) and ``qrels/test.tsv`` (``query-id``, ``corpus-id``, ``score``, with a header). Metrics
follow trec_eval: nDCG uses the graded relevance as linear gain, a document is relevant when its
grade is above zero, and queries without judgments are left out.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from milvus_model_adapters._progress import progress
from milvus_model_adapters.encoders.dense import DenseEncoder, DenseSource
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.files.sources import document_text

_QUERY_BATCH = 16
Qrels = dict[str, dict[str, int]]
Run = dict[str, list[str]]


@dataclass(frozen=True)
class BeirDataset:
    """A BEIR collection in memory."""

    name: str
    corpus: dict[str, dict[str, str]]
    queries: dict[str, str]
    qrels: Qrels

    def documents(self) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Ids, texts and metadata of the non-empty documents, ready for ``HybridStore.add``.

        The text is the title followed by the body, unless the body already starts with the title
        (as in Cranfield), so titles are not counted twice.
        """
        ids, texts, metas = [], [], []
        for doc_id, doc in self.corpus.items():
            title = doc.get("title", "").strip()
            text = document_text(title, doc.get("text", ""))
            if text:
                ids.append(doc_id)
                texts.append(text)
                metas.append({"title": title} if title else {})
        return ids, texts, metas

    def judged_queries(self) -> dict[str, str]:
        """Queries that have at least one relevant document."""
        return {q: t for q, t in self.queries.items() if any(g > 0 for g in self.qrels.get(q, {}).values())}


def load_beir(path: str | os.PathLike[str], split: str = "test") -> BeirDataset:
    """Read a BEIR folder.

    Raises:
        InvalidInputError: If a file is missing or a line is malformed.
    """
    root = Path(path)
    files = {
        "corpus": root / "corpus.jsonl",
        "queries": root / "queries.jsonl",
        "qrels": root / "qrels" / f"{split}.tsv",
    }
    for name, file in files.items():
        if not file.is_file():
            raise InvalidInputError(f"not a BEIR folder: {name} file {file} is missing")
    corpus: dict[str, dict[str, str]] = {}
    for n, line in enumerate(files["corpus"].open(encoding="utf-8"), start=1):
        if line.strip():
            try:
                row = json.loads(line)
                corpus[str(row["_id"])] = {
                    "title": str(row.get("title") or ""),
                    "text": str(row.get("text") or ""),
                }
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InvalidInputError(f"{files['corpus']}:{n}: malformed line ({exc})") from None
    queries: dict[str, str] = {}
    for n, line in enumerate(files["queries"].open(encoding="utf-8"), start=1):
        if line.strip():
            try:
                row = json.loads(line)
                queries[str(row["_id"])] = str(row["text"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InvalidInputError(f"{files['queries']}:{n}: malformed line ({exc})") from None
    qrels: Qrels = {}
    with files["qrels"].open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        for n, row in enumerate(reader, start=1):
            if n == 1 and row and not row[-1].lstrip("-").isdigit():
                continue  # header
            if len(row) < 3:
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return BeirDataset(root.name, corpus, queries, qrels)


def ndcg_at_k(ranked: Sequence[str], judgments: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gain (trec_eval's ``ndcg_cut``)."""
    dcg = sum(max(judgments.get(d, 0), 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in judgments.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranked: Sequence[str], judgments: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top ``k``."""
    relevant = {d for d, g in judgments.items() if g > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at_k(ranked: Sequence[str], judgments: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document in the top ``k`` (0 if none)."""
    for i, d in enumerate(ranked[:k]):
        if judgments.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def evaluate_run(run: Mapping[str, Sequence[str]], qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10, Recall@100 and MRR@10 over the judged queries of ``run``."""
    judged = [q for q in run if any(g > 0 for g in qrels.get(q, {}).values())]
    if not judged:
        raise InvalidInputError("no query of the run has a relevance judgment")
    n = len(judged)
    return {
        "ndcg@10": sum(ndcg_at_k(run[q], qrels[q], 10) for q in judged) / n,
        "recall@100": sum(recall_at_k(run[q], qrels[q], 100) for q in judged) / n,
        "mrr@10": sum(mrr_at_k(run[q], qrels[q], 10) for q in judged) / n,
    }


DEFAULT_CONFIGS: dict[str, dict[str, Any]] = {
    "dense": {"mode": "dense"},
    "bm25": {"mode": "sparse"},
    "hybrid-rrf": {"mode": "hybrid", "ranker": "rrf"},
    "hybrid-weighted": {"mode": "hybrid", "ranker": "weighted"},
}
"""The configurations ``mma eval`` and ``evaluate_beir`` score by default."""


def rerank_config(rerank_k: int = 30) -> dict[str, Any]:
    """Hybrid (default fusion) with the offline cosine reranker over the best ``rerank_k``, from stored vectors."""
    from milvus_model_adapters.rerank.local import CosineReranker

    return {"mode": "hybrid", "reranker": CosineReranker(), "rerank_k": rerank_k}


def evaluate_store(
    store: Any,
    dataset: BeirDataset,
    configs: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    depth: int = 100,
    show_progress: bool = False,
) -> dict[str, dict[str, float]]:
    """Search every judged query with each configuration and score the runs.

    Args:
        store: A ``HybridStore`` holding the dataset's documents.
        dataset: The collection.
        configs: Name -> search options of ``store.search_many``; ``DEFAULT_CONFIGS`` by default.
        depth: Hits per query (Recall@100 needs 100).
        show_progress: Show a progress bar per configuration.

    Returns:
        Name -> metrics.
    """
    queries = dataset.judged_queries()
    qids, texts = list(queries), list(queries.values())
    results: dict[str, dict[str, float]] = {}
    for name, kwargs in (configs or DEFAULT_CONFIGS).items():
        args = dict(kwargs)
        args.setdefault("fetch_k", depth)
        run: Run = {}
        bar = progress(len(qids), show_progress, name, "query")
        for start in range(0, len(qids), _QUERY_BATCH):
            hits = store.search_many(texts[start : start + _QUERY_BATCH], depth, **args)
            for qid, found in zip(qids[start : start + _QUERY_BATCH], hits, strict=True):
                run[qid] = [h.id for h in found]
            bar.update(len(hits))
        bar.close()
        results[name] = evaluate_run(run, dataset.qrels)
    return results


def evaluate_beir(
    path: str | os.PathLike[str],
    *,
    uri: str | None = None,
    configs: Mapping[str, Mapping[str, Any]] | None = None,
    dense: DenseSource | None = None,
    cache: bool = True,
    show_progress: bool = False,
) -> dict[str, dict[str, float]]:
    """Index a BEIR folder into a store (a temporary Milvus Lite file unless ``uri``) and evaluate it.

    Args:
        path: The BEIR folder.
        uri: Where to index it (default: a temporary Milvus Lite file).
        configs: Name -> search options (``DEFAULT_CONFIGS`` by default).
        dense: The dense model (default: the bundled MiniLM).
        cache: With the default model, read the vectors of texts encoded by earlier runs from the
            user's cache and keep new ones there (see
            ``EmbeddingCache``).
        show_progress: Show progress bars.

    Raises:
        InvalidInputError: If the folder is not a BEIR collection or its corpus holds no text.
    """
    import tempfile

    from milvus_model_adapters.store.hybrid import HybridStore

    dataset = load_beir(path)
    encoder = DenseEncoder.default(cache=cache) if dense is None else dense
    ids, texts, metas = dataset.documents()
    if not texts:
        raise InvalidInputError(f"{path}: the corpus has no text")
    with (
        tempfile.TemporaryDirectory() as tmp,
        HybridStore(uri or str(Path(tmp) / "eval.db"), "beir", dense=encoder, drop_existing=True) as store,
    ):
        store.add(texts, metadatas=metas, ids=ids, show_progress=show_progress)
        return evaluate_store(store, dataset, configs, show_progress=show_progress)
