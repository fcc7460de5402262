"""Pascal VOC: `images/` and one `Annotations/<frame>.xml` per frame.

VOC's devkit convention is 1-based inclusive pixels: `xmin`/`ymin` are written + 1,
`xmax`/`ymax` as they are; sub-pixel values keep three decimals.
"""

from collections.abc import Callable
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

from django.db import transaction

from annotations.exports import rows
from annotations.exports.files import FrameFiles


_n = rows.coordinate_text  # `:g` kept 6 significant digits: 1500.125 was written 1500.12


def voc_write(*, project, only: str, out: Path, copy_images: bool = True, progress: Callable | None = None) -> dict:
    """Write the VOC layout under `out`; return the counts."""
    labels = rows.label_rows(project_id=project.pk)
    names = {pk: escape(name) for pk, name, _, _ in labels}
    files = FrameFiles(out / "images", enabled=copy_images)
    xml_dir = out / "Annotations"
    xml_dir.mkdir(parents=True, exist_ok=True)
    folder = escape(project.name)
    counts = {"images": 0, "boxes": 0, "labels": len(labels)}
    with transaction.atomic():
        for image, boxes in rows.frames_with_boxes(project_id=project.pk, only=only):
            _, stored, width, height, _, _ = image
            name = rows.export_name(image)
            files.place(stored_name=stored, export_name=name)
            parts = [
                f"<annotation><folder>{folder}</folder><filename>{escape(name)}</filename>"
                f"<size><width>{width}</width><height>{height}</height><depth>3</depth></size><segmented>0</segmented>"
            ]
            for _, label_id, x0, y0, x1, y1, _ in boxes:
                parts.append(
                    f"<object><name>{names[label_id]}</name><pose>Unspecified</pose><truncated>0</truncated>"
                    f"<difficult>0</difficult><bndbox><xmin>{_n(x0 + 1)}</xmin><ymin>{_n(y0 + 1)}</ymin>"
                    f"<xmax>{_n(x1)}</xmax><ymax>{_n(y1)}</ymax></bndbox></object>"
                )
            parts.append("</annotation>\n")
            (xml_dir / f"{PurePosixPath(name).stem}.xml").write_text("".join(parts))
            counts["images"] += 1
            counts["boxes"] += len(boxes)
            if progress is not None:
                progress(1)
    counts["files"] = files.count
    return counts
