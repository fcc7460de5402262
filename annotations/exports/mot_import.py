"""Importing a MOTChallenge folder: its tracks come back as tracks.

PATH is one sequence folder (it has a `seqinfo.ini`) or a folder of them: the layout
`--format mot` writes, and MOT17/MOT20's `train/`. Each sequence becomes a Sequence named by
seqinfo's `name`, its `img1/` frames (in frame-number order) frames of the project, and each
`gt/gt.txt` line a box of the label given (MOT names no classes) in the track of its id.

The writing is the COCO import's (exports/coco.py): one transaction, frames and boxes already
there skipped, one history event per box, a track keeps its id as its number when that number
is free in the project. MOT ids are per sequence, so an id an earlier sequence of the same
import already used is given a key of its own (numbered after the others).
Lines whose 7th column is 0 (MOT17's "do not consider" flag) are skipped; x and y are 1-based.
"""

import configparser
import math
from pathlib import Path

from annotations.errors import InvalidInput
from annotations.exports.coco import coco_data_import

SEQINFO = "seqinfo.ini"
FRESH_KEYS = 2**40  # beyond any track number: the COCO import gives such keys the next free numbers


def mot_folders(path) -> list[Path]:
    """The sequence folders at `path`: itself if it has a seqinfo.ini, else its subfolders that have one."""
    path = Path(path)
    if (path / SEQINFO).is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.is_dir() and (p / SEQINFO).is_file())


def mot_import(*, project, user, path, label: str) -> dict:
    """Import the MOT sequences at `path` into `project` with boxes of `label`; returns the counts."""
    folders = mot_folders(path)
    if not folders:
        raise InvalidInput(f"{path} has no {SEQINFO}: it is not a MOTChallenge folder.")
    data = {"images": [], "categories": [{"id": 1, "name": label}], "annotations": []}
    keys = _TrackKeys()
    for folder in folders:
        frames = _sequence_add(data, folder)
        _ground_truth_add(data, folder, frames, keys)
        keys.sequence_done()
    counts = coco_data_import(project=project, user=user, data=data, folder=folders[0].parent)
    return {**counts, "sequences": len(folders)}


def _sequence_add(data: dict, folder: Path) -> dict[int, int]:
    """Add the sequence's frames to `data`; returns {MOT frame number: COCO image id}."""
    ini = configparser.ConfigParser(interpolation=None)
    try:
        ini.read(folder / SEQINFO)
    except configparser.Error as exc:
        raise InvalidInput(f"{folder.name}/{SEQINFO} cannot be read: {exc}") from None
    info = ini["Sequence"] if ini.has_section("Sequence") else {}
    name = (info.get("name") or folder.name).strip() or folder.name
    image_dir = info.get("imDir") or "img1"
    if not (folder / image_dir).is_dir():
        raise InvalidInput(f"{folder.name}/{image_dir}/ is missing: a MOT sequence keeps its frames there.")
    numbered = sorted((int(f.stem), f.name) for f in (folder / image_dir).iterdir() if f.is_file() and f.stem.isdigit())
    frames = {}
    for frame, file_name in numbered:
        if frame in frames:
            raise InvalidInput(f"{folder.name}/{image_dir}/ has two files for frame {frame}.")
        image_id = frames[frame] = len(data["images"]) + 1
        data["images"].append({"id": image_id, "file_name": f"{folder.name}/{image_dir}/{file_name}",
                               "frame_index": image_id, "sequence": name})
    if not frames:
        raise InvalidInput(f"{folder.name}/{image_dir}/ has no numbered frames (000001.jpg, …).")
    return frames


def _ground_truth_add(data: dict, folder: Path, frames: dict[int, int], keys: "_TrackKeys") -> None:
    path = folder / "gt" / "gt.txt"
    if not path.is_file():
        return  # a test sequence: frames without ground truth
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{folder.name}/gt/gt.txt line {number}"
            try:
                fields = [float(v) for v in line.replace(" ", "").split(",")]
            except ValueError:
                raise InvalidInput(f"{where}: expected comma-separated numbers, got {line.strip()[:80]!r}.") from None
            if len(fields) < 6 or not all(map(math.isfinite, fields)) or not all(v.is_integer() for v in fields[:2]):
                raise InvalidInput(f"{where}: expected frame,id,x,y,w,h[,conf,…] with integer frame and id.")
            if len(fields) > 6 and fields[6] == 0:
                continue
            frame, mot_id, (x, y, w, h) = int(fields[0]), int(fields[1]), fields[2:6]
            if frame not in frames:
                raise InvalidInput(f"{where}: frame {frame} has no image in the sequence's image folder.")
            # MOT boxes may reach past the top-left edge; the part inside the frame is kept.
            x0, y0 = max(x - 1, 0.0), max(y - 1, 0.0)
            w, h = x - 1 + w - x0, y - 1 + h - y0
            if w <= 0 or h <= 0:
                continue  # wholly outside the frame
            data["annotations"].append({"id": len(data["annotations"]) + 1, "image_id": frames[frame],
                                        "category_id": 1, "bbox": [x0, y0, w, h],
                                        "track_id": keys.key(mot_id), "attributes": {"keyframe": True}})


class _TrackKeys:
    """MOT ids (per sequence) → track keys (per import): an id keeps its value unless an earlier
    sequence of the import used it."""

    def __init__(self):
        self.used: set[int] = set()
        self.current: dict[int, int] = {}
        self.fresh = FRESH_KEYS

    def key(self, mot_id: int) -> int:
        if mot_id not in self.current:
            if mot_id in self.used or not 1 <= mot_id < FRESH_KEYS:
                self.fresh += 1
                self.current[mot_id] = self.fresh
            else:
                self.current[mot_id] = mot_id
        return self.current[mot_id]

    def sequence_done(self) -> None:
        self.used.update(self.current.values())
        self.current = {}
