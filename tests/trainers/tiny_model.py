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


def tokenizer(chat_template: str = CHAT_TEMPLATE) -> Any:
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
    made.chat_template = chat_template
    return made


def build(directory: Path, *, layers: int = 1, hidden: int = 16, max_positions: int = 512) -> Path:
    """Save a randomly initialised Qwen2 (1 layer, 16 wide) for :func:`tokenizer`'s vocabulary under ``directory``."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(VOCAB),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=max_positions,
        eos_token_id=VOCAB["<|im_end|>"],
        pad_token_id=VOCAB["<|endoftext|>"],
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    Qwen2ForCausalLM(config).save_pretrained(directory)
    return directory


def teach(directory: Path, tokenize: Any, examples: list[tuple[str, str]], *, steps: int = 300) -> float:
    """Fine-tune the model saved under ``directory`` to answer each ``(context, target)`` with ``target``.

    The loss is on the target's tokens only; the model is saved back. Returns the last loss.
    """
    import torch
    from transformers import Qwen2ForCausalLM

    torch.manual_seed(0)
    model = Qwen2ForCausalLM.from_pretrained(directory)
    batches = []
    for context, target in examples:
        prefix, whole = tokenize(context)["input_ids"], tokenize(context + target)["input_ids"]
        labels = [-100] * len(prefix) + whole[len(prefix) :]
        batches.append((torch.tensor([whole]), torch.tensor([labels])))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)  # 1e-2 oscillated (loss 0.97 after 300 steps)
    loss = torch.tensor(float("nan"))
    for step in range(steps):
        ids, labels = batches[step % len(batches)]
        loss = model(input_ids=ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.save_pretrained(directory)
    return float(loss.detach())
