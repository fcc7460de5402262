"""The MOTChallenge export, read back by py-motmetrics (a reader we did not write) against
tracks the fixture built with known paths."""

import configparser
from pathlib import Path

import motmetrics as mm
import pytest

from annotations.exports import dvc
from annotations.exports.service import dataset_export
from annotations.models import DatasetVersion, ImageStatus

pytestmark = [
    pytest.mark.django_db,
    # motmetrics 1.4.0's loader shifts X and Y with a tuple, which pandas 3 deprecates; it still works.
    pytest.mark.filterwarnings("ignore:Operation with tuple is deprecated"),
]

FOLDERS = {"Clip A": "Clip-A", "clip/b": "clip-b", None: "unsequenced"}


def expected_rows(truth, untracked_ids):
    """{folder: {(frame, id): (x, y, w, h)}} in the product's 0-based pixels, as motmetrics returns them."""
    ids = iter(untracked_ids)
    out = {}
    for name, part in truth.items():
        rows = {}
        for (frame, number), (x0, y0, x1, y1, _, _) in sorted(part["boxes"].items(),
                                                              key=lambda item: (item[0][0], item[0][1] or 0)):
            rows[(frame, number if number is not None else next(ids))] = (x0, y0, x1 - x0, y1 - y0)
        out[FOLDERS[name]] = rows
    return out


def gt_rows(frame):
    return {(int(f), int(i)): tuple(round(v, 3) for v in row[["X", "Y", "Width", "Height"]])
            for (f, i), row in frame.iterrows()}


def test_mot_export_reads_back_in_motmetrics_with_the_known_tracks(tracked_project, tmp_path):
    project, truth = tracked_project
    dataset = dataset_export(project=project, format="mot", only="all", out=tmp_path / "m")
    # Untracked boxes get ids above the highest track number (4), in sequence then frame order.
    expected = expected_rows(truth, untracked_ids=[5, 6])
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == sorted(expected)
    for folder, rows in expected.items():
        gt = mm.io.loadtxt(str(tmp_path / "m" / folder / "gt" / "gt.txt"), fmt="mot15-2D", min_confidence=1)
        assert gt_rows(gt) == rows
        # Identity: matched against the known paths under other ids, every object keeps one id.
        hyp = tmp_path / f"{folder}-hyp.txt"
        hyp.write_text("".join(f"{f},{100 + i},{x + 1},{y + 1},{w},{h},1,-1,-1,-1\n"
                               for (f, i), (x, y, w, h) in rows.items()))
        hypotheses = mm.io.loadtxt(str(hyp), fmt="mot15-2D")
        accumulator = mm.utils.compare_to_groundtruth(gt, hypotheses, "euc", distth=0.01)
        metrics = ["mota", "idf1", "num_switches", "num_unique_objects"]
        (summary,) = mm.metrics.create().compute(accumulator, metrics=metrics).itertuples(index=False)
        assert list(summary) == [1.0, 1.0, 0, len({i for _, i in rows})]
    assert dataset.counts["tracks"] == 3 and dataset.counts["sequences"] == 3 and dataset.counts["untracked_boxes"] == 2
    assert dataset.counts["boxes"] == sum(len(rows) for rows in expected.values())


def test_each_sequence_folder_has_seqinfo_and_its_frames_numbered_in_frame_order(tracked_project, tmp_path):
    project, truth = tracked_project
    dataset_export(project=project, format="mot", only="all", out=tmp_path / "m")
    for name, part in truth.items():
        folder = tmp_path / "m" / FOLDERS[name]
        ini = configparser.ConfigParser()
        ini.read(folder / "seqinfo.ini")
        first = part["frames"][0]
        assert dict(ini["Sequence"]) == {
            "name": name or "unsequenced", "imdir": "img1", "framerate": "30", "seqlength": str(len(part["frames"])),
            "imwidth": str(first.width), "imheight": str(first.height), "imext": ".png",
        }
        files = sorted((folder / "img1").iterdir())
        assert [f.name for f in files] == [f"{n:06d}.png" for n in range(1, len(part["frames"]) + 1)]
        assert [f.read_bytes() for f in files] == [frame.file.read() for frame in part["frames"]]


def test_only_approved_frames_are_numbered_without_holes(tracked_project, tmp_path):
    project, truth = tracked_project
    frames = truth["Clip A"]["frames"]
    frames[1].status = ImageStatus.SUBMITTED
    frames[1].save(update_fields=["status"])
    dataset_export(project=project, format="mot", only="approved", out=tmp_path / "m", copy_images=False)
    gt = mm.io.loadtxt(str(tmp_path / "m" / "Clip-A" / "gt" / "gt.txt"), fmt="mot15-2D")
    walker = gt.xs(1, level="Id")
    # Frames 1, 3, 4, 5 of the clip are exported as 1, 2, 3, 4: the walker's x moves by 15 at the gap.
    assert walker.index.tolist() == [1, 2, 3, 4] and walker["X"].tolist() == [10.0, 25.0, 32.5, 40.0]
    assert "seqLength=4" in (tmp_path / "m" / "Clip-A" / "seqinfo.ini").read_text()


def test_a_split_puts_whole_sequence_folders_on_each_side_in_seqmaps(tracked_project, tmp_path):
    project, truth = tracked_project
    dataset = dataset_export(project=project, format="mot", only="all", out=tmp_path / "m", copy_images=False,
                             split="train=0.5,val=0.5", seed=3)
    assert DatasetVersion.objects.get(pk=dataset.pk).get_format_display() == "MOTChallenge"
    sides = {}
    for side in ("train", "val"):
        lines = (tmp_path / "m" / "seqmaps" / f"{side}.txt").read_text().splitlines()
        assert lines[0] == "name"  # MOTChallenge's seqmap header
        sides.update({folder: side for folder in lines[1:]})
    assert sorted(sides) == sorted(FOLDERS.values())  # every folder on exactly one side
    frames = {side: sum(len(truth[name]["frames"]) for name, folder in FOLDERS.items() if sides[folder] == side)
              for side in ("train", "val")}
    assert dataset.counts["splits"] == frames and (tmp_path / "m" / "datasheet.md").exists()
    assert not (tmp_path / "m" / "train.txt").exists()  # image lists name files MOT renames


def test_a_manager_exports_mot_as_a_dvc_version_over_rest(tracked_project, manager, client_for):
    project, truth = tracked_project
    response = client_for(manager).post(f"/api/projects/{project.pk}/datasets/", {"format": "mot", "only": "all"},
                                        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    folder = Path(DatasetVersion.objects.get(pk=body["id"]).path)
    assert body["format"] == "mot" and body["git_rev"] and body["dvc_hash"]
    assert (folder.parent / f"{folder.name}.dvc").exists() and dvc.repo_dir().resolve() in folder.parents
    assert sorted(p.name for p in folder.iterdir()) == sorted(FOLDERS.values())
    assert body["counts"]["tracks"] == 3 and body["counts"]["images"] == sum(len(p["frames"]) for p in truth.values())
