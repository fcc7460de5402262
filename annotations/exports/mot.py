"""MOTChallenge: one folder per sequence, as the MOT benchmarks ship their training data.

    <sequence>/seqinfo.ini     name, imDir, frameRate, seqLength, imWidth, imHeight, imExt
    <sequence>/img1/000001.jpg frames renamed by their 1-based number within the sequence
    <sequence>/gt/gt.txt       frame,id,x,y,w,h,1,-1,-1,-1 per box

Choices where the product and MOT differ:
- Frame numbers count the exported frames of the sequence in `frame_index` order, so `img1/`
  has no holes (MOT readers expect seqLength consecutive frames); with `--only approved` a
  frame not yet approved is left out and the later ones move up: export `--only all` for
  tracking data that keeps every gap.
- Ids are track numbers (the "#3" on the canvas, the COCO export's `track_id`). A box in no
  track is an object seen once: it gets its own id above the project's highest track number,
  so the frame's ground truth stays complete (a tracker is not taught that object is background).
- Frames in no sequence are the project's frames in their order, as the annotate page plays
  them: one more folder, `unsequenced` (a sequence of that name makes it `unsequenced-2`).
- Coordinates are 1-based like MOT's devkit (x + 1, y + 1; sizes as they are), three decimals.
- With `--split`, whole folders go to a side (frames in no sequence count as one sequence) and
  `seqmaps/<split>.txt` lists them as MOTChallenge's seqmaps do (`name`, then one folder a line).
- frameRate is 30: the product stores no frame rate. imWidth/imHeight/imExt are the first
  frame's (a MOT sequence has one size and format; a frame of another format keeps its own
  extension).
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import transaction
from django.db.models import F, Max

from annotations.exports import rows
from annotations.exports.files import FrameFiles
from annotations.models import Track

FRAME_RATE = 30
UNSEQUENCED = "unsequenced"
BUFFER = 1 << 20

# (sequence id, sequence name, frame_index, id, file, width, height)
IMAGE_FIELDS = ("sequence_id", "sequence__name", "frame_index", "id", "file", "width", "height")
# (sequence id, frame_index, image id, x_min, y_min, x_max, y_max, track number)
BOX_FIELDS = ("image__sequence_id", "image__frame_index", "image_id", "x_min", "y_min", "x_max", "y_max",
              "track__number")


def mot_write(
    *, project, only: str, out: Path, copy_images: bool = True, progress: Callable | None = None,
    split: dict[int, str] | None = None,
) -> dict:
    """Write one MOT folder per sequence under `out`; return the counts. With `split` ({image id:
    split name}, whole folders on one side: mot_groups) also `seqmaps/<split>.txt`."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {"images": 0, "boxes": 0, "labels": 0, "tracks": 0, "sequences": 0, "untracked_boxes": 0, "files": 0}
    tracks: set[int] = set()
    sides: dict[str, list[str]] = defaultdict(list)
    folders = _FolderNames()
    writer = None
    with transaction.atomic():
        top = Track.objects.filter(project=project).aggregate(top=Max("number"))["top"] or 0
        ids = _Ids(after=top)
        try:
            for image, boxes in _frames(project_id=project.pk, only=only):
                sequence_id, name = image[0], image[1]
                if writer is None or writer.sequence_id != sequence_id:
                    if writer is not None:
                        counts["files"] += writer.close()
                    writer = _SequenceWriter(out=out, sequence_id=sequence_id, name=name or UNSEQUENCED,
                                             folder=folders.take(name or UNSEQUENCED), copy_images=copy_images)
                    counts["sequences"] += 1
                    if split is not None:
                        sides[split[image[3]]].append(writer.root.name)
                writer.frame(image, boxes, ids)
                counts["images"] += 1
                counts["boxes"] += len(boxes)
                tracks.update(box[7] for box in boxes if box[7] is not None)
                if progress is not None:
                    progress(1)
        finally:
            if writer is not None:
                counts["files"] += writer.close()
    counts["tracks"], counts["untracked_boxes"] = len(tracks), ids.given
    if split is not None:
        (out / "seqmaps").mkdir(exist_ok=True)
        for side in sorted(set(split.values())):
            (out / "seqmaps" / f"{side}.txt").write_text("name\n" + "".join(f"{name}\n" for name in sides[side]))
    counts["labels"] = len(rows.label_rows(project_id=project.pk))
    return counts


def mot_groups(*, project_id: int, only: str) -> dict[str, list[int]]:
    """Split groups of a MOT export, one per folder: {sequence key: [image ids]}."""
    groups: dict[str, list[int]] = defaultdict(list)
    images = rows.images_queryset(project_id=project_id, only=only).order_by("id").values_list("id", "sequence_id")
    for pk, sequence_id in images.iterator(chunk_size=rows.CHUNK):
        groups[f"sequence:{sequence_id}" if sequence_id is not None else UNSEQUENCED].append(pk)
    return groups


def _frames(*, project_id: int, only: str) -> Iterator[tuple[tuple, list[tuple]]]:
    """(image row, its box rows) in sequence and frame order: a merge of two cursors in one order."""
    # Sequences in id order, frames in none last; frames by frame_index within them (_key's order).
    images = rows.images_queryset(project_id=project_id, only=only).order_by(
        F("sequence_id").asc(nulls_last=True), "frame_index", "id"
    )
    boxes = rows.boxes_queryset(project_id=project_id, only=only).order_by(
        F("image__sequence_id").asc(nulls_last=True), "image__frame_index", "image_id", "id"
    )
    boxes = boxes.values_list(*BOX_FIELDS).iterator(chunk_size=rows.CHUNK)
    pending = next(boxes, None)
    for image in images.values_list(*IMAGE_FIELDS).iterator(chunk_size=rows.CHUNK):
        key = _key(image[0], image[2], image[3])
        own = []
        # Skips a box whose frame the image cursor did not return (changed between the two reads).
        while pending is not None and _key(*pending[:3]) <= key:
            if pending[2] == image[3]:
                own.append(pending)
            pending = next(boxes, None)
        yield image, own


def _key(sequence_id, frame_index, image_id) -> tuple:
    return (sequence_id is None, sequence_id or 0, frame_index, image_id)


class _Ids:
    """Ids for boxes in no track: one each, counting up from above the highest track number."""

    def __init__(self, *, after: int):
        self.next = after + 1
        self.given = 0

    def take(self) -> int:
        self.given += 1
        self.next += 1
        return self.next - 1


class _FolderNames:
    """A safe, unique folder name per sequence (names are unique per project ignoring case)."""

    def __init__(self):
        self.used: set[str] = set()

    def take(self, name: str) -> str:
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "sequence"
        folder, n = base, 1
        while folder.lower() in self.used:
            n += 1
            folder = f"{base}-{n}"
        self.used.add(folder.lower())
        return folder


class _SequenceWriter:
    """One sequence's folder: frames are numbered as they come; seqinfo.ini is written at the end."""

    def __init__(self, *, out: Path, sequence_id, name: str, folder: str, copy_images: bool):
        self.sequence_id, self.name = sequence_id, name
        self.root = out / folder
        (self.root / "gt").mkdir(parents=True, exist_ok=True)
        self.files = FrameFiles(self.root / "img1", enabled=copy_images)
        self.gt = open(self.root / "gt" / "gt.txt", "w", buffering=BUFFER)
        self.length = 0
        self.first = None

    def frame(self, image: tuple, boxes: list[tuple], ids: _Ids) -> None:
        _, _, _, _, stored, width, height = image
        text = rows.coordinate_text
        self.length += 1
        extension = rows.file_suffix(stored)
        if self.first is None:
            self.first = (width, height, extension)
        self.files.place(stored_name=stored, export_name=f"{self.length:06d}{extension}")
        self.gt.write("".join(
            f"{self.length},{number if number is not None else ids.take()},{text(x0 + 1)},{text(y0 + 1)},"
            f"{text(x1 - x0)},{text(y1 - y0)},1,-1,-1,-1\n"
            for _, _, _, x0, y0, x1, y1, number in boxes
        ))

    def close(self) -> int:
        self.gt.close()
        width, height, extension = self.first
        name = " ".join(self.name.split())  # one line in the ini, whatever the name holds
        (self.root / "seqinfo.ini").write_text(
            f"[Sequence]\nname={name}\nimDir=img1\nframeRate={FRAME_RATE}\nseqLength={self.length}\n"
            f"imWidth={width}\nimHeight={height}\nimExt={extension}\n"
        )
        return self.files.count

