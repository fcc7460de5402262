"""A rotary table like moondream2's `rope.precompute_freqs_cis`: cos and sin per position."""

import torch


def rotary_table(dim: int, positions: int, base: float) -> torch.Tensor:
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    angles = torch.arange(positions, dtype=torch.float32)[:, None] * freqs[None, :]
    return torch.stack([torch.cos(angles), torch.sin(angles)], dim=-1)
