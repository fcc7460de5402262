"""The model behind the entry point: tokenizer by repo id, encoder, text part with computed buffers, box head."""

import torch
from tokenizers import Tokenizer
from torch import nn

from .region import build_box_head, read_boxes
from .text import build_text_model

TOKENIZER_REPO = "moondream/starmie-v1"  # read by repo id, as the published code does: from the HF cache


class StandinModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.tokenizer = Tokenizer.from_pretrained(TOKENIZER_REPO)
        self.encoder = nn.Linear(3, config.hidden)
        self.text = build_text_model(config)
        self.region = build_box_head(config)
        self.encode_calls, self.detect_calls = 0, []

    def encode_image(self, image):
        self.encode_calls += 1
        pixels = torch.tensor(list(image.convert("RGB").resize((4, 4)).getdata()), dtype=torch.float32) / 255.0
        return {"features": self.encoder(pixels), "size": image.size}

    def detect(self, encoded, prompt, settings=None):
        if not (isinstance(encoded, dict) and "features" in encoded):
            raise TypeError("detect() must be given the encoding, not the image")
        self.detect_calls.append(prompt)
        ids = self.tokenizer.encode(" " + prompt).ids
        objects = read_boxes(self.region, self.text, token=ids[0])
        return {"objects": objects[: (settings or {}).get("max_objects", len(objects))]}
