"""Hybrid search over German, English and Chinese documents in one collection, offline.

python cookbook/multilingual_search.py

Each document is analysed for BM25 in its own language (from its metadata; with ``default="auto"``
a document without one is identified), all in one vocabulary; queries are analysed in their
identified language. The collection keeps its analysis: it is reopened without saying it again.
Needs the ``languages`` extra (segmenters and language identification).
"""

import tempfile
from pathlib import Path

from milvus_model_adapters import HybridStore, MultilingualAnalyzer
from milvus_model_adapters.store import ClientBM25

DOCUMENTS = [
    ("Die Häuser in der Altstadt wurden im fünfzehnten Jahrhundert aus Holz gebaut.", "de"),
    ("Das Fahrrad ist in vielen Städten das schnellste Verkehrsmittel.", "de"),
    ("The houses in the old town were built from wood in the fifteenth century.", "en"),
    ("Bicycles are the fastest way to travel in many cities.", "en"),
    ("向量数据库支持混合检索和全文搜索。", "zh"),
    ("北京是中国的首都，有很多历史古迹。", None),  # no language given: identified
]
QUERIES = ["Fahrräder in der Stadt", "bicycle", "数据库", "中国首都", "Häuser aus Holz"]

path = str(Path(tempfile.mkdtemp()) / "multilingual.db")
analyzer = MultilingualAnalyzer(["de", "en", "zh"], default="auto")
with HybridStore(path, sparse=ClientBM25(analyzer)) as store:
    store.add(
        [text for text, _ in DOCUMENTS],
        metadatas=[{"language": language} if language else {} for _, language in DOCUMENTS],
    )

with HybridStore(path) as store:  # reopened: the stored settings analyse the queries
    for query in QUERIES:
        bm25 = store.search(query, k=1, mode="sparse")[0]
        hybrid = store.search(query, k=1)[0]
        print(f"{query!r}\n  BM25:   {bm25.text}\n  hybrid: {hybrid.text}")
