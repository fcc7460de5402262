"""`export_dataset --split train=…,val=… --seed S`: whole groups per side, the same split for a
seed, written into the export (COCO split field, per-split lists, YOLO data.yaml), a datasheet,
and all of it inside the DVC version."""

import io
import json
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from annotations.exports.splits import group_key
from annotations.models import DatasetVersion, ImageStatus
from feedback.evaluation.models import Evaluation, EvaluationStatus
from tests.factories import BoxFactory, ImageFactory, LabelFactory
from tests.mlops.test_dvc import git

pytestmark = pytest.mark.django_db


@pytest.fixture
def grouped_project(project, annotator, reviewer):
    """12 sequences of 3 frames, 2 upload batches of 2 and 14 single frames: 54 approved frames."""
    cat = LabelFactory(project=project, name="cat")
    dog = LabelFactory(project=project, name="dog")
    metas = [{"sequence": f"s{i}"} for i in range(12) for _ in range(3)]
    metas += [{"upload_batch": f"b{i}"} for i in range(2) for _ in range(2)]
    metas += [{} for _ in range(14)]
    for i, meta in enumerate(metas):
        image = ImageFactory(project=project, width=8, height=8, metadata=meta, status=ImageStatus.APPROVED,
                             submitted_by=annotator, reviewed_by=reviewer)
        BoxFactory(image=image, label=cat if i % 3 else dog, x_min=1, y_min=1, x_max=4, y_max=4)
    return project


def run(project, *args):
    out = io.StringIO()
    call_command("export_dataset", str(project.pk), *args, stdout=out)
    return out.getvalue()


def coco_images(folder):
    return json.loads((Path(folder) / "annotations.json").read_text())["images"]


def export_split(project, tmp_path, name, *args):
    run(project, "--format", "coco", "--no-images", "--out", str(tmp_path / name), *args)
    return {image["id"]: image["split"] for image in coco_images(tmp_path / name)}


def test_a_seed_gives_the_same_split_and_another_seed_a_different_one(grouped_project, tmp_path):
    first = export_split(grouped_project, tmp_path, "a", "--split", "train=0.8,val=0.2", "--seed", "7")
    again = export_split(grouped_project, tmp_path, "b", "--split", "train=0.8,val=0.2", "--seed", "7")
    other = export_split(grouped_project, tmp_path, "c", "--split", "train=0.8,val=0.2", "--seed", "8")
    assert first == again
    assert first != other


@pytest.mark.parametrize("seed", ["1", "2", "3"])
def test_no_group_is_on_both_sides_and_the_ratios_hold_roughly(grouped_project, tmp_path, seed):
    split = export_split(grouped_project, tmp_path, "s", "--split", "train=0.7,val=0.2,test=0.1", "--seed", seed)
    sides = {}
    for image in grouped_project.images.all():
        key = group_key(image.pk, image.metadata.get("sequence"), image.metadata.get("upload_batch"))
        sides.setdefault(key, set()).add(split[image.pk])
    assert len(sides) == 12 + 2 + 14
    assert all(len(s) == 1 for s in sides.values())
    counts = {name: list(split.values()).count(name) for name in ("train", "val", "test")}
    assert sum(counts.values()) == 54
    # A group of up to 3 frames may tip each cut: within 4 frames of the target.
    for name, ratio in (("train", 0.7), ("val", 0.2), ("test", 0.1)):
        assert abs(counts[name] - ratio * 54) <= 4, counts


def test_split_lists_and_datasheet_are_written(grouped_project, tmp_path, annotator, reviewer):
    output = run(grouped_project, "--format", "yolo", "--no-images", "--out", str(tmp_path / "y"),
                 "--split", "train=0.8,val=0.2", "--seed", "3")
    folder = tmp_path / "y"
    train = (folder / "train.txt").read_text().split()
    val = (folder / "val.txt").read_text().split()
    assert len(train) + len(val) == 54 and not set(train) & set(val)
    assert all(line.startswith("images/") for line in train + val)
    data = yaml.safe_load((folder / "data.yaml").read_text())
    assert data["train"] == "train.txt" and data["val"] == "val.txt"
    dataset = DatasetVersion.objects.get()
    assert dataset.counts["splits"] == {"train": len(train), "val": len(val)} and dataset.counts["seed"] == 3
    assert f"train {len(train)}, val {len(val)}" in output

    sheet = (folder / "datasheet.md").read_text()
    assert "Split: train=0.8, val=0.2, seed 3" in sheet
    assert f"| frames | {len(train)} | {len(val)} | 54 |" in sheet
    boxes_by_label = {line.split("|")[1].strip(): line for line in sheet.splitlines() if line.startswith("| ")}
    assert boxes_by_label["cat"].rstrip().endswith("| 36 |") and boxes_by_label["dog"].rstrip().endswith("| 18 |")
    assert f"| {annotator.username} | {len(train)} | {len(val)} | 54 |" in sheet
    assert f"| approved | {len(train)} | {len(val)} | 54 |" in sheet
    assert f"| {reviewer.username} | {len(train)} | {len(val)} | 54 |" in sheet
    assert "## Evaluations" in sheet


def test_the_unsplit_export_has_no_split_field_lists_or_datasheet(grouped_project, tmp_path):
    run(grouped_project, "--format", "coco", "--no-images", "--out", str(tmp_path / "plain"))
    assert all("split" not in image for image in coco_images(tmp_path / "plain"))
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == ["annotations.json"]
    assert "splits" not in DatasetVersion.objects.get().counts


@pytest.mark.parametrize("split", [
    "train=0.8,val=0.3", "train=0.8,dev=0.2", "train=1.2,val=-0.2", "train=0.8,train=0.2", "train", "train=x,val=1",
    "train=nan,val=1",
])
def test_a_bad_split_is_a_command_error_and_writes_nothing(grouped_project, tmp_path, split):
    with pytest.raises(CommandError):
        run(grouped_project, "--format", "coco", "--out", str(tmp_path / "bad"), "--split", split)
    assert not (tmp_path / "bad").exists()
    assert not DatasetVersion.objects.exists()


def test_the_dvc_version_holds_the_split_files_and_the_datasheet(grouped_project, settings):
    run(grouped_project, "--format", "coco", "--dvc", "--no-images", "--split", "train=0.5,val=0.5", "--seed", "1")
    dataset = DatasetVersion.objects.get()
    repo = Path(settings.DVC_REPO_DIR)
    assert "split train=0.5,val=0.5 seed 1" in git("log", "-1", "--format=%s", cwd=repo)
    md5 = dataset.dvc_hash.removesuffix(".dir")
    cache = next(p for p in (repo / ".dvc" / "cache").rglob(md5[2:] + ".dir"))
    manifest = {entry["relpath"] for entry in json.loads(cache.read_text())}
    assert {"annotations.json", "datasheet.md", "train.txt", "val.txt"} <= manifest
    sheet = (Path(dataset.path) / "datasheet.md").read_text()
    assert "no evaluation has used it yet; none used an earlier version" in sheet

    # The feedback app writes the Evaluations section: the next version lists those of this one.
    Evaluation.objects.create(project=grouped_project, backend="opencv", model="m1", dataset_version=dataset,
                              status=EvaluationStatus.DONE, metrics={"map": 0.41234, "map_50": 0.7})
    Evaluation.objects.create(project=grouped_project, backend="opencv", dataset_version=None)
    run(grouped_project, "--format", "coco", "--dvc", "--no-images", "--split", "train=0.5,val=0.5", "--seed", "1")
    sheet = (Path(dataset.path) / "datasheet.md").read_text()
    rows = [line for line in sheet.split("## Evaluations")[1].splitlines() if line.startswith("| ")]
    assert len(rows) == 2  # the header and the one evaluation of this dataset
    assert f"| {dataset.pk} | {dataset.git_rev[:12]} | opencv | m1 | done | 0.4123 | 0.7000 |  |" in rows[1]
