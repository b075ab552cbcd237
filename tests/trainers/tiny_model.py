"""A tiny random Qwen2 and a character-level tokenizer with a chat template, built locally (no hub download)."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


VOCAB = {tok: i for i, tok in enumerate(SPECIAL + sorted(set(string.printable)))}


def tokenizer() -> Any:
    """A character-level tokenizer (every printable character, the chat markers) with a chat template.

    Kept in memory and handed to the trainer: saved and loaded back, transformers would rebuild
    it as the model type's tokenizer class (Qwen2's byte-level BPE), which maps spaces away.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel(vocab=VOCAB, unk_token="<|endoftext|>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"<\|[a-z_]+\|>|[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    made = PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token=None
    )
    made.add_special_tokens({"additional_special_tokens": ["<|im_start|>"]})
    made.chat_template = CHAT_TEMPLATE
    return made


def build(directory: Path) -> Path:
    """Save a randomly initialised 1-layer Qwen2 for :func:`tokenizer`'s vocabulary under ``directory``."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(VOCAB),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        eos_token_id=VOCAB["<|im_end|>"],
        pad_token_id=VOCAB["<|endoftext|>"],
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    Qwen2ForCausalLM(config).save_pretrained(directory)
    return directory
