"""What a split export adds to the folder: `<split>.txt` lists and `datasheet.md`.

Both sit inside the export folder, so a DVC version of the export contains them too.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from annotations.exports import rows
from annotations.exports.splits import split_counts

DATASHEET = "datasheet.md"

# Sections written by apps above this one (annotations may not import them, so they register a
# writer in their AppConfig.ready()): {title: fn(project=, folder=) -> markdown lines}.
_SECTIONS: dict[str, Callable[..., list[str]]] = {}


def datasheet_section_register(title: str, write: Callable[..., list[str]]) -> None:
    _SECTIONS[title] = write


def split_lists_write(*, project_id: int, only: str, out: Path, split: dict[int, str]) -> dict[str, Path]:
    """One `<split>.txt` per split: `images/<file>` lines, the YOLO convention, in frame order."""
    lines: dict[str, list[str]] = defaultdict(list)
    for image in rows.image_rows(project_id=project_id, only=only):
        lines[split[image[0]]].append(f"images/{rows.export_name(image)}\n")
    written = {}
    for name, names in sorted(lines.items()):
        path = out / f"{name}.txt"
        path.write_text("".join(names))
        written[name] = path
    return written


def datasheet_write(*, project, only: str, format: str, out: Path, split: dict[int, str],
                    ratios: dict[str, float], seed: int) -> Path:
    """`datasheet.md`: frames, boxes per label, annotators and review state, per split."""
    names = list(ratios)
    frames = split_counts(split)
    labels = rows.label_rows(project_id=project.pk)
    boxes: Counter = Counter()
    for image_id, label_id, *_ in rows.box_rows(project_id=project.pk, only=only):
        boxes[(label_id, split[image_id])] += 1
    images = rows.images_queryset(project_id=project.pk, only=only)
    states: Counter = Counter()
    annotators: Counter = Counter()
    reviewers: Counter = Counter()
    for pk, status, submitter, reviewer in images.values_list(
        "id", "status", "submitted_by__username", "reviewed_by__username"
    ).iterator(chunk_size=rows.CHUNK):
        states[(status, split[pk])] += 1
        annotators[(submitter or "(none)", split[pk])] += 1
        reviewers[(reviewer or "(none)", split[pk])] += 1

    def table(title: str, keys: list[str], counts: Counter) -> list[str]:
        head = [f"| {title} | " + " | ".join(names) + " | total |", "|---" * (len(names) + 2) + "|"]
        body = [
            f"| {key} | " + " | ".join(str(counts[(key_id, n)]) for n in names)
            + f" | {sum(counts[(key_id, n)] for n in names)} |"
            for key_id, key in keys
        ]
        return head + body

    ratio_text = ", ".join(f"{n}={ratios[n]:g}" for n in names)
    text = [
        f"# Datasheet: {project.name} (project {project.pk})",
        "",
        f"- Exported: {datetime.now(UTC).isoformat(timespec='seconds')}, format {format}, frames: {only}",
        f"- Split: {ratio_text}, seed {seed}",
        "- Split rule: by group; a frame's group is its sequence, else its `metadata.sequence`, else its "
        "`metadata.upload_batch`, else the frame alone. No group is on two sides.",
        "",
        "## Frames per split",
        "",
        "| | " + " | ".join(names) + " | total |",
        "|---" * (len(names) + 2) + "|",
        "| frames | " + " | ".join(str(frames.get(n, 0)) for n in names) + f" | {sum(frames.values())} |",
        "",
        "## Boxes per label and split",
        "",
        *table("label", [(pk, name) for pk, name, *_ in labels], boxes),
        "",
        "## Annotators (frames submitted, per split)",
        "",
        *table("annotator", [(k, k) for k in sorted({a for a, _ in annotators})], annotators),
        "",
        "## Review state (frames, per split)",
        "",
        *table("status", [(k, k) for k in sorted({s for s, _ in states})], states),
        "",
        *table("reviewer", [(k, k) for k in sorted({r for r, _ in reviewers})], reviewers),
        "",
    ]
    for title, write in _SECTIONS.items():
        text += [f"## {title}", "", *write(project=project, folder=out), ""]
    if not _SECTIONS:
        text += ["## Evaluations", "", "Not known to the annotations app: evaluations are recorded by the feedback app.", ""]
    path = out / DATASHEET
    path.write_text("\n".join(text))
    return path
