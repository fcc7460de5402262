"""The box head: learned boxes per token, read through the computed buffers, so broken buffers change the answer.

As in moondream2, nothing raises when the buffers are wrong: a NaN rotary table makes every box
non-finite and they are dropped (0 objects), a garbage causal mask stops the decoding early.
"""

import math

import torch
from torch import nn


def build_box_head(config) -> nn.Module:
    head = nn.Module()
    # Per token and slot: x_min, y_min, x_max, y_max, present (> 0).
    head.boxes = nn.Parameter(torch.zeros(config.vocab, config.slots, 5))
    return head


def read_boxes(head, text, *, token: int) -> list[dict]:
    objects = []
    for slot in range(head.boxes.shape[1]):
        if not bool(text.attn_mask[slot, : slot + 1].all()):  # a causal row is all True up to its diagonal
            break
        cos, sin = text.freqs_cis[slot, 0]  # first frequency is 1: the angle is the slot number
        gain = float(cos * math.cos(slot) + sin * math.sin(slot))  # 1.0 when the table is right
        x_min, y_min, x_max, y_max, present = (float(v) for v in head.boxes[token, slot])
        if not present > 0:
            break
        box = [v * gain for v in (x_min, y_min, x_max, y_max)]
        if all(math.isfinite(v) for v in box):
            objects.append(dict(zip(("x_min", "y_min", "x_max", "y_max"), box)))
    return objects
