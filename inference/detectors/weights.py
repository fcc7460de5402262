"""Getting the moondream2 weights onto a machine: one download, then the same load and check as a job.

The published remote code reads its tokenizer by repo id when the model is built
(`Tokenizer.from_pretrained("moondream/starmie-v1")` in `moondream.py` of revision 2025-06-21),
so `hf download vikhyatk/moondream2` alone leaves a model that cannot load offline: the
tokenizer is downloaded into the same cache here too.
"""

import time
from pathlib import Path

from inference.detectors.moondream import MoondreamDetector

MOONDREAM_TOKENIZER = "moondream/starmie-v1"


def weights_download(*, model: str, revision: str, device: str = "cpu", check: bool = True) -> dict:
    """Download `model@revision` and its tokenizer into the Hugging Face cache (with progress bars),
    then load and self-check it like a job would. A local directory is only checked.

    Returns `{path, tokenizer, bytes, load_seconds}` (`load_seconds` None without `check`);
    raises DetectorUnavailable when the downloaded model does not load or fails the check.
    """
    from huggingface_hub import snapshot_download  # heavy, and only needed here

    local = Path(model).expanduser()
    if local.is_dir():
        path = local
    else:
        path = Path(snapshot_download(repo_id=model, revision=revision))
    tokenizer = snapshot_download(repo_id=MOONDREAM_TOKENIZER)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    result = {"path": str(path), "tokenizer": tokenizer, "bytes": size, "load_seconds": None}
    if check:
        started = time.perf_counter()
        MoondreamDetector(model=model, revision=revision, device=device).load()
        result["load_seconds"] = time.perf_counter() - started
    return result
