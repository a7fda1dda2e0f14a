"""Tiny BERT models with random weights and a word-level vocabulary, saved in the real file layout."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def save_tiny_bert(folder: Path, words: Iterable[str], *, masked_lm: bool = False, seed: int = 0) -> Path:
    """Write a two-layer BERT (a masked language model if ``masked_lm``) and its tokenizer into ``folder``."""
    import transformers

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(words))]) + "\n"
    )
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), model_max_length=64)
    tokenizer.save_pretrained(str(folder))
    config = transformers.BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    transformers.set_seed(seed)
    model = transformers.BertForMaskedLM(config) if masked_lm else transformers.BertModel(config)
    model.save_pretrained(str(folder))
    return folder
