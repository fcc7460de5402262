"""Benchmark: loading, checking and running a moondream2-shaped remote-code model on CPU.

    python bench/moondream_load.py [--model DIR_OR_REPO] [--revision REV] [--hf-home DIR] [--prompts 3] [--repeat 3]

Without `--model` it builds the test suite's stand-in (tests/inference/moondream_standin: no
post_init, computed non-persistent buffers, nested relative imports, tokenizer from an offline
cache). With `--model` it measures that directory or cached repo id, e.g. the published code
assembled at a shrunken size, or the real weights after `make weights`.

Prints, in milliseconds: the libraries' first import, the whole `load()` (from_pretrained +
compatibility step + self-check), the compatibility step's buffer recomputation alone, the
self-check alone, then per job the image encode (once) and each prompt's detect (best of `--repeat`). DESIGN.md has no target for these;
the figures are for the README and the issue's closing note.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--revision", default="2025-06-21")
    parser.add_argument("--hf-home", default=None, help="HF_HOME holding the cache (default: a new temporary one)")
    parser.add_argument("--prompts", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-moondream-"))
    # huggingface_hub reads these once, at import: set them before anything imports it.
    os.environ["HF_HOME"] = args.hf_home or str(workdir / "hf-home")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitl_project.settings")
    import django

    django.setup()
    import huggingface_hub
    import tokenizers
    import torch
    import transformers
    from PIL import Image, ImageDraw

    from inference.detectors.hf_compat import restore_computed_buffers
    from inference.detectors.moondream import MoondreamDetector, self_check

    model = args.model
    if model is None:
        from tests.inference.moondream_standin import build_standin

        model = str(build_standin(workdir / "standin", Path(os.environ["HF_HOME"]) / "hub")[0])
    # The libraries' first import is paid once per worker process, before any model: timed apart.
    _, import_seconds = timed(lambda: (transformers.PreTrainedModel, transformers.AutoConfig))
    detector = MoondreamDetector(model=model, revision=args.revision, device="cpu")
    loaded, load_seconds = timed(detector.load)
    restored, restore_seconds = timed(lambda: restore_computed_buffers(loaded))
    _, check_seconds = timed(lambda: self_check(loaded, model_id=model, revision=args.revision))
    parameters = sum(p.numel() for p in loaded.parameters())

    image = Image.new("RGB", (640, 480), (90, 120, 150))
    ImageDraw.Draw(image).rectangle((100, 120, 400, 360), fill=(200, 40, 40))
    prompts = ["person", "car", "dog", "cat", "horse", "boat"][: args.prompts]
    encodes, detects = [], {p: [] for p in prompts}
    with torch.inference_mode():
        for _ in range(args.repeat):
            encoded, seconds = timed(lambda: loaded.encode_image(image))
            encodes.append(seconds)
            for prompt in prompts:
                _, seconds = timed(lambda: loaded.detect(encoded, prompt)["objects"])
                detects[prompt].append(seconds)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"moondream backend on CPU — {model} ({parameters / 1e6:.2f} M parameters); load average {load} "
          f"on {os.cpu_count()} cores")
    print(f"  transformers {transformers.__version__}, torch {torch.__version__}, huggingface_hub "
          f"{huggingface_hub.__version__}, tokenizers {tokenizers.__version__}")
    rows = [
        ("first import of transformers' model classes (once per process)", import_seconds, ""),
        ("load(): from_pretrained + compatibility step + self-check", load_seconds, ""),
        (f"  compatibility step: recomputing {len(restored)} buffer(s)", restore_seconds, " ".join(restored)),
        ("  self-check: finite buffers + one detect on a 64x48 image", check_seconds, ""),
        (f"encode_image 640x480, once per job (best of {args.repeat})", min(encodes), ""),
        *((f"detect {prompt!r}, per prompt (best of {args.repeat})", min(s), "") for prompt, s in detects.items()),
    ]
    for label, seconds, extra in rows:
        print(f"  {label:66} {seconds * 1000:9.1f} ms  {extra}".rstrip())

if __name__ == "__main__":
    main()
