"""YOLO: `images/`, `labels/<frame>.txt` with `class cx cy w h` normalised to the image, `data.yaml`.

Class indices are the project's labels in id order (YOLO wants 0..n-1), so they only change
when a label is deleted; `data.yaml` also keeps the label ids for reference.
"""

from collections.abc import Callable
from pathlib import Path, PurePosixPath

import yaml
from django.db import transaction

from annotations.exports import rows
from annotations.exports.files import FrameFiles


def yolo_write(
    *, project, only: str, out: Path, copy_images: bool = True, progress: Callable | None = None,
    split: dict[int, str] | None = None,
) -> dict:
    """Write the YOLO layout under `out`; return the counts. With `split` ({image id: split
    name}) data.yaml points each split at its list file `<split>.txt` (written by the caller)."""
    labels = rows.label_rows(project_id=project.pk)
    index = {pk: i for i, (pk, *_) in enumerate(labels)}
    files = FrameFiles(out / "images", enabled=copy_images)
    label_dir = out / "labels"
    label_dir.mkdir(parents=True, exist_ok=True)
    counts = {"images": 0, "boxes": 0, "labels": len(labels)}
    with transaction.atomic():
        for image, boxes in rows.frames_with_boxes(project_id=project.pk, only=only):
            _, stored, width, height, _, _ = image
            name = rows.export_name(image)
            files.place(stored_name=stored, export_name=name)
            lines = []
            for _, label_id, x0, y0, x1, y1, _ in boxes:
                lines.append(
                    f"{index[label_id]} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} "
                    f"{(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}\n"
                )
            (label_dir / f"{PurePosixPath(name).stem}.txt").write_text("".join(lines))
            counts["images"] += 1
            counts["boxes"] += len(lines)
            if progress is not None:
                progress(1)
    data = {
        "path": ".",
        "train": "images",
        "val": "images",
        **({name: f"{name}.txt" for name in sorted(set(split.values()))} if split else {}),
        "nc": len(labels),
        "names": [name for _, name, _, _ in labels],
        "label_ids": [pk for pk, *_ in labels],
    }
    (out / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    counts["files"] = files.count
    return counts
