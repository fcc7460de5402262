"""The text part: its buffers are computed here, in `__init__`, and registered non-persistent (in no checkpoint)."""

import torch
from torch import nn

from .rope import rotary_table


def build_text_model(config) -> nn.Module:
    text = nn.Module()
    text.wte = nn.Parameter(torch.zeros(config.vocab, config.hidden))
    text.register_buffer("freqs_cis", rotary_table(config.hidden, config.slots, config.rotary_base), persistent=False)
    causal = torch.tril(torch.ones(config.slots, config.slots, dtype=torch.bool))
    text.register_buffer("attn_mask", causal, persistent=False)
    return text
