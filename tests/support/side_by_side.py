"""What the side-by-side tests give the official Milvus integrations and this package's stores alike.

The same texts, metadata and ids go into both stores (``tests/integration/langchain/test_official_store.py``,
``tests/integration/llama_index/test_official_store.py``); the same queries ask both.
"""

from __future__ import annotations

from typing import Any

TEXTS = [
    "Through the Night is a quiet ballad.",
    "Palette is a bright pop song.",
    "Spring Day is a slow ballad about missing friends.",
    "Dynamite is a disco song for dancing.",
    "Starlight is a rock song about the stars.",
    "Starman is a rock song about a man from space.",
]
METADATAS: list[dict[str, Any]] = [
    {"SingerName": "IU", "year": 2017},
    {"SingerName": "IU", "year": 2017},
    {"SingerName": "BTS", "year": 2017},
    {"SingerName": "BTS", "year": 2020},
    {"SingerName": "Muse", "year": 2006},
    {"SingerName": "Bowie", "year": 1972},
]
IDS = [f"song{i}" for i in range(len(TEXTS))]
QUERIES = ["a slow ballad", "songs about space and stars", "music for dancing"]
