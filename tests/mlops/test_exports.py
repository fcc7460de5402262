"""COCO, YOLO and VOC exports read back by the reference tools with the same boxes."""

import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import supervision as sv
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pycocotools.coco import COCO

from annotations.errors import InvalidInput
from annotations.exports import coco as coco_module
from annotations.exports import rows
from annotations.exports.service import dataset_export
from annotations.models import Box, DatasetVersion, Image, ImageStatus, Label, Sequence, Track
from tests.factories import ProjectFactory
from tests.mlops.conftest import live_boxes

pytestmark = pytest.mark.django_db


def _by_sha_prefix(truth):
    return {(sha[:12], name): boxes for (sha, name), boxes in truth.items()}


def test_coco_loads_in_pycocotools_with_the_approved_frames_only(dataset_project, manager, tmp_path):
    dataset = dataset_export(project=dataset_project, user=manager, format="coco", only="approved", out=tmp_path / "c")
    coco = COCO(str(tmp_path / "c" / "annotations.json"))
    assert len(coco.getImgIds()) == 1
    assert len(coco.getAnnIds()) == 2  # the deleted box is not exported
    assert sorted(c["id"] for c in coco.loadCats(coco.getCatIds())) == sorted(
        Label.objects.filter(project=dataset_project).values_list("id", flat=True)
    )
    (img,) = coco.loadImgs(coco.getImgIds())
    assert (tmp_path / "c" / "images" / img["file_name"]).read_bytes() == Image.objects.get(
        sha256=img["sha256"]
    ).file.read()
    person = next(a for a in coco.loadAnns(coco.getAnnIds()) if coco.cats[a["category_id"]]["name"] == "person")
    assert person["bbox"] == [10.25, 20.5, 100.5, 199.625]
    assert dataset.counts["images"] == 1 and dataset.counts["boxes"] == 2
    assert DatasetVersion.objects.get(pk=dataset.pk).path == str(tmp_path / "c")


@pytest.mark.parametrize(("only", "frames", "boxes"), [("submitted", 2, 3), ("all", 3, 4)])
def test_only_filter_submitted_includes_approved_and_all_includes_every_frame(dataset_project, tmp_path, only, frames,
                                                                              boxes):
    dataset_export(project=dataset_project, format="coco", only=only, out=tmp_path / only)
    coco = COCO(str(tmp_path / only / "annotations.json"))
    assert (len(coco.getImgIds()), len(coco.getAnnIds())) == (frames, boxes)


def test_category_ids_stay_the_same_across_exports(dataset_project, tmp_path):
    dataset_export(project=dataset_project, format="coco", only="all", out=tmp_path / "one")
    Label.objects.create(project=dataset_project, name="bicycle")
    dataset_export(project=dataset_project, format="coco", only="all", out=tmp_path / "two")
    first = COCO(str(tmp_path / "one" / "annotations.json")).cats
    second = COCO(str(tmp_path / "two" / "annotations.json")).cats
    assert all(second[pk]["name"] == cat["name"] for pk, cat in first.items())


def test_yolo_loads_in_supervision_with_the_same_boxes(dataset_project, tmp_path):
    out = tmp_path / "y"
    dataset_export(project=dataset_project, format="yolo", only="all", out=out)
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == ["person", "car", "unused"]
    ds = sv.DetectionDataset.from_yolo(str(out / "images"), str(out / "labels"), str(out / "data.yaml"))
    got = {}
    for path, _, detections in ds:
        for xyxy, class_id in zip(detections.xyxy, detections.class_id, strict=True):
            got.setdefault((Path(path).stem.split("_")[1], ds.classes[class_id]), []).append(tuple(xyxy))
    truth = _by_sha_prefix(live_boxes(dataset_project))
    assert got.keys() == truth.keys()
    for key, boxes in truth.items():
        np.testing.assert_allclose(sorted(got[key]), boxes, atol=0.01)


def test_voc_loads_in_supervision_with_the_same_boxes(dataset_project, tmp_path):
    out = tmp_path / "v"
    dataset_export(project=dataset_project, format="voc", only="submitted", out=out)
    ds = sv.DetectionDataset.from_pascal_voc(str(out / "images"), str(out / "Annotations"))
    got = {}
    for path, _, detections in ds:
        for xyxy, class_id in zip(detections.xyxy, detections.class_id, strict=True):
            got.setdefault((Path(path).stem.split("_")[1], ds.classes[class_id]), []).append(tuple(xyxy))
    truth = _by_sha_prefix(live_boxes(dataset_project, [ImageStatus.SUBMITTED, ImageStatus.APPROVED]))
    assert got.keys() == truth.keys()
    for key, boxes in truth.items():
        np.testing.assert_allclose(sorted(got[key]), boxes, atol=0.01)


def test_image_files_are_hard_linked_from_the_media_store(dataset_project, tmp_path):
    dataset_export(project=dataset_project, format="yolo", only="approved", out=tmp_path / "y")
    image = Image.objects.get(project=dataset_project, status=ImageStatus.APPROVED)
    (exported,) = (tmp_path / "y" / "images").iterdir()
    assert os.path.samefile(exported, image.file.path)


def test_without_images_only_annotations_are_written(dataset_project, tmp_path):
    dataset = dataset_export(project=dataset_project, format="coco", only="all", out=tmp_path / "c", copy_images=False)
    assert not (tmp_path / "c" / "images").exists()
    assert dataset.counts["files"] == 0 and dataset.counts["boxes"] == 4


def test_bad_input_is_refused_and_leaves_nothing(dataset_project, tmp_path):
    with pytest.raises(InvalidInput):
        dataset_export(project=dataset_project, format="csv", out=tmp_path / "x")
    with pytest.raises(InvalidInput):
        dataset_export(project=dataset_project, format="coco", only="rejected", out=tmp_path / "x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(InvalidInput):
        dataset_export(project=dataset_project, format="coco", out=tmp_path / "full")
    assert not DatasetVersion.objects.exists()


def _frames(n_frames, boxes_per_frame=3):
    """A project of n frames (rows only, no files) with boxes, made in bulk: sequences of 10
    frames, where every box but the last of a frame is in one track per sequence."""
    project = ProjectFactory()
    label = Label.objects.create(project=project, name="thing")
    sequences = Sequence.objects.bulk_create(Sequence(project=project, name=f"s{k}") for k in range(n_frames // 10))
    images = Image.objects.bulk_create(
        Image(project=project, file=f"x/{i}.png", format="PNG", sha256=f"{i:064x}", width=100, height=80,
              frame_index=i, status=ImageStatus.APPROVED, sequence=sequences[i // 10])
        for i in range(n_frames)
    )
    tracks = Track.objects.bulk_create(
        Track(project=project, label=label, sequence=sequence, number=k * boxes_per_frame + j + 1)
        for k, sequence in enumerate(sequences) for j in range(boxes_per_frame - 1)
    )
    Box.objects.bulk_create(
        Box(image=image, label=label, x_min=j, y_min=j, x_max=j + 10, y_max=j + 20, keyframe=j == 0,
            track=tracks[(i // 10) * (boxes_per_frame - 1) + j] if j < boxes_per_frame - 1 else None)
        for i, image in enumerate(images) for j in range(boxes_per_frame)
    )
    return project


@pytest.mark.parametrize("format", ["coco", "yolo", "voc", "mot"])
def test_query_count_does_not_grow_with_the_number_of_frames(tmp_path, format):
    """Nor with the tracks and sequences: tracks are joined into the box cursor, not read one by one."""
    counts = []
    for n in (10, 200):
        project = _frames(n)
        with CaptureQueriesContext(connection) as queries:
            dataset = dataset_export(project=project, format=format, only="all", out=tmp_path / f"{format}{n}",
                                     copy_images=False)
        assert dataset.counts["boxes"] == 3 * n
        if format in ("coco", "mot"):
            assert dataset.counts["tracks"] == 2 * n // 10
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("format", ["coco", "mot"])
def test_memory_stays_flat_as_the_project_grows(tmp_path, monkeypatch, format):
    """Rows arrive in chunks and leave in batches: ten times the boxes, about the same peak."""
    monkeypatch.setattr(rows, "CHUNK", 100)
    monkeypatch.setattr(coco_module, "BATCH", 100)
    peaks = []
    for n in (100, 1000):
        project = _frames(n, boxes_per_frame=5)
        tracemalloc.start()
        dataset_export(project=project, format=format, only="all", out=tmp_path / f"c{n}", copy_images=False)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 2 * peaks[0], peaks
