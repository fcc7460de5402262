"""A stand-in for moondream2's published remote code, built on disk the way the real one is laid out.

`remote_code/` holds the stand-in's modelling files (written for these tests, no moondream code):
`hf_standin.py` → `standin.py` → `text.py` → `rope.py` (and `region.py`), relative imports nested
across files; a `PreTrainedModel` whose `__init__` never calls `post_init()`; non-persistent
buffers computed in `__init__` (a rotary table, a causal mask) that its detections go through; a
tokenizer read by repo id (`moondream/starmie-v1`, as the published code does) from the Hugging Face
cache.

`build_standin(directory, hub)` writes a model directory (code, `config.json` with `auto_map`,
`model.safetensors` with the answers as learned weights) and the tokenizer into the cache `hub`;
`publish_to_cache(directory, hub, repo_id, revision)` lays the same files out as
`hf download repo_id --revision revision` would, so it loads by repo id offline.
"""

import hashlib
import json
import shutil
from pathlib import Path

REMOTE_CODE = Path(__file__).parent / "remote_code"
TOKENIZER_REPO = "moondream/starmie-v1"  # the repo id the published code reads; here a stand-in tokenizer
SLOTS = 4
HIDDEN = 8

# Normalised answers per prompt: some inside the image, some spilling out of it (to be clipped).
ANSWERS = {
    "person": [[0.25, 0.5, 0.5, 0.75]],
    "car": [[-0.1, 0.1, 0.5, 1.2], [0.9, 0.9, 1.5, 1.0]],
    "dog": [[1.2, 0.2, 1.4, 0.4]],  # wholly outside: dropped
}


def rotary_table(dim: int, positions: int, base: float = 10000.0):
    """The table the stand-in's `__init__` computes, written out again here to check a loaded model."""
    import torch

    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    angles = torch.arange(positions, dtype=torch.float32)[:, None] * freqs[None, :]
    return torch.stack([torch.cos(angles), torch.sin(angles)], dim=-1)


def build_standin(directory: Path, hub: Path, *, answers=ANSWERS, rotary_base: float = 10000.0):
    """Model directory + tokenizer in the cache `hub`. Returns (directory, the saved weights)."""
    import torch
    from safetensors.torch import save_file

    words = ["[UNK]", "object", *sorted(answers)]
    _build_tokenizer(hub, words)
    directory.mkdir(parents=True, exist_ok=True)
    for source in REMOTE_CODE.glob("*.py"):
        shutil.copy(source, directory / source.name)
    boxes = torch.zeros(len(words), SLOTS, 5)
    for prompt, prompt_boxes in answers.items():
        for slot, box in enumerate(prompt_boxes):
            boxes[words.index(prompt), slot] = torch.tensor([*box, 1.0])
    weights = {
        "model.encoder.weight": torch.arange(3 * HIDDEN, dtype=torch.float32).reshape(HIDDEN, 3) / 10,
        "model.encoder.bias": torch.ones(HIDDEN),
        "model.text.wte": torch.randn(len(words), HIDDEN, generator=torch.Generator().manual_seed(0)),
        "model.region.boxes": boxes,
    }
    save_file(weights, str(directory / "model.safetensors"), metadata={"format": "pt"})
    config = {
        "architectures": ["HfStandin"],
        "model_type": "hitl_moondream_standin",
        "auto_map": {"AutoConfig": "hf_standin.HfStandinConfig", "AutoModelForCausalLM": "hf_standin.HfStandin"},
        "hidden": HIDDEN, "vocab": len(words), "slots": SLOTS, "rotary_base": rotary_base,
        "torch_dtype": "float32",
    }
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    return directory, weights


def publish_to_cache(directory: Path, hub: Path, repo_id: str, revision: str) -> Path:
    """The cache layout huggingface_hub writes: blobs by hash, snapshots/<commit>/ links, refs/<revision>."""
    files = sorted(p for p in directory.iterdir() if p.is_file())
    commit = hashlib.sha1(b"".join(p.name.encode() + p.read_bytes() for p in files)).hexdigest()
    repo = hub / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True, exist_ok=True)
    for path in files:
        blob = repo / "blobs" / hashlib.sha256(path.read_bytes()).hexdigest()
        shutil.copy(path, blob)
        link = snapshot / path.name
        link.unlink(missing_ok=True)
        link.symlink_to(Path("..", "..", "blobs", blob.name))
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / revision).write_text(commit)
    return snapshot


def tokenizer_source(hub: Path) -> Path:
    """Where `build_standin(..., hub)` leaves the tokenizer's files before caching them."""
    return hub.parent / "standin-tokenizer"


def _build_tokenizer(hub: Path, words: list[str]) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({word: i for i, word in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    source = tokenizer_source(hub)
    source.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(source / "tokenizer.json"))
    publish_to_cache(source, hub, TOKENIZER_REPO, "main")
