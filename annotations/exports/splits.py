"""Train/val/test splits of an export, by group: frames of one group never land on two sides.

The group rule: a frame's group is its Sequence (ingest puts every frame in one: its upload batch
or zip folder), else — frames from before sequences, or moved out of theirs — the value of its
`metadata["sequence"]`, else `metadata["upload_batch"]`, else the frame alone. Frames of a video or of
one capture run are near-duplicates; splitting them across train and val would leak.

Deterministic for a seed: groups are ordered by sha256(seed, group key), a stable shuffle that
does not depend on Python's hash seed or the database's row order, then cut at the ratios'
cumulative boundaries by frame count (a group goes where its middle frame falls).
"""

import hashlib
import math
from collections import Counter, defaultdict

from annotations.errors import InvalidInput
from annotations.exports import rows

SPLIT_NAMES = ("train", "val", "test")


def split_parse(text: str) -> dict[str, float]:
    """`train=0.8,val=0.2` → {"train": 0.8, "val": 0.2}; InvalidInput for anything else."""
    ratios: dict[str, float] = {}
    for part in str(text).split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip()
        if not sep or name not in SPLIT_NAMES:
            raise InvalidInput(f"--split takes name=ratio pairs with names from {', '.join(SPLIT_NAMES)}; got {part!r}.")
        if name in ratios:
            raise InvalidInput(f"--split names {name!r} twice.")
        try:
            ratio = float(value)
        except ValueError:
            raise InvalidInput(f"--split ratio for {name!r} is not a number: {value!r}.") from None
        if not math.isfinite(ratio) or ratio < 0:
            raise InvalidInput(f"--split ratio for {name!r} must be a number >= 0; got {value!r}.")
        ratios[name] = ratio
    if not math.isclose(sum(ratios.values()), 1.0, abs_tol=1e-6):
        raise InvalidInput(f"--split ratios must sum to 1; they sum to {sum(ratios.values()):g}.")
    return ratios


def group_key(image_id: int, sequence, upload_batch, sequence_id: int | None = None) -> str:
    if sequence_id is not None:
        return f"sequence-id:{sequence_id}"
    if sequence not in (None, ""):
        return f"sequence:{sequence}"
    if upload_batch not in (None, ""):
        return f"upload_batch:{upload_batch}"
    return f"frame:{image_id}"


def frame_groups(*, project_id: int, only: str) -> dict[str, list[int]]:
    """{group key: [image ids]} of the exported frames."""
    groups: dict[str, list[int]] = defaultdict(list)
    images = rows.images_queryset(project_id=project_id, only=only).order_by("id")
    columns = ("id", "metadata__sequence", "metadata__upload_batch", "sequence_id")
    for pk, sequence, batch, sequence_id in images.values_list(*columns).iterator(chunk_size=rows.CHUNK):
        groups[group_key(pk, sequence, batch, sequence_id)].append(pk)
    return groups


def split_assign(groups: dict[str, list[int]], ratios: dict[str, float], seed: int) -> dict[int, str]:
    """{image id: split name}: whole groups, in a seed-determined order, cut at the ratios."""
    order = sorted(groups, key=lambda key: hashlib.sha256(f"{seed}\0{key}".encode()).hexdigest())
    total = sum(len(ids) for ids in groups.values()) or 1
    names = [name for name in ratios]
    bounds, running = [], 0.0
    for name in names:
        running += ratios[name]
        bounds.append(running)
    assigned: dict[int, str] = {}
    done = 0
    for key in order:
        ids = groups[key]
        middle = (done + len(ids) / 2) / total
        name = next((n for n, b in zip(names, bounds) if middle < b), names[-1])
        for pk in ids:
            assigned[pk] = name
        done += len(ids)
    return assigned


def split_counts(assigned: dict[int, str]) -> dict[str, int]:
    return dict(Counter(assigned.values()))
