"""The ground truth of an evaluation: the COCO export of a dataset version, cut to the frames
and labels evaluated. A version made on the fly is a DVC-versioned export, so the run can be
reproduced later from its git rev and DVC hash."""

import orjson

from annotations.exports.coco import ANNOTATIONS_FILE
from annotations.exports.download import dataset_files_check
from annotations.exports.service import dataset_export
from annotations.models import DatasetVersion, Image, Label


def dataset_for_evaluation(*, evaluation) -> DatasetVersion:
    """The evaluation's dataset version; a DVC export of its `only` frames when none was chosen."""
    if evaluation.dataset_version_id:
        return evaluation.dataset_version
    return dataset_export(project=evaluation.project, user=evaluation.created_by, format="coco",
                          only=evaluation.only, dvc=True)


def ground_truth_build(*, version: DatasetVersion, label_names, limit: int | None) -> dict:
    """The version's COCO dict with only the frames still in the project (in frame order, the
    first `limit`) and the labels evaluated; category ids are label ids, names the current ones."""
    folder = dataset_files_check(dataset=version)
    data = orjson.loads((folder / ANNOTATIONS_FILE).read_bytes())
    labels = dict(Label.objects.filter(project_id=version.project_id, name__in=list(label_names)).values_list("id", "name"))
    categories = [{"id": c["id"], "name": labels[c["id"]], "supercategory": ""}
                  for c in data["categories"] if c["id"] in labels]
    existing = set(Image.objects.filter(project_id=version.project_id, pk__in=[i["id"] for i in data["images"]])
                   .values_list("pk", flat=True))
    images = sorted((i for i in data["images"] if i["id"] in existing), key=lambda i: (i.get("frame_index", 0), i["id"]))
    images = images[:limit] if limit else images
    kept = {i["id"] for i in images}
    annotations = [a for a in data["annotations"] if a["image_id"] in kept and a["category_id"] in labels]
    return {
        "info": {**data.get("info", {}), "dataset_version": version.pk, "git_rev": version.git_rev,
                 "dvc_hash": version.dvc_hash},
        "images": [{k: i[k] for k in ("id", "file_name", "width", "height", "frame_index") if k in i} for i in images],
        "categories": categories,
        "annotations": annotations,
    }


def ground_truth_only_frames(ground_truth: dict, image_ids) -> dict:
    """The same ground truth restricted to `image_ids` (frames whose detection failed drop out)."""
    keep = set(image_ids)
    return {
        **ground_truth,
        "images": [i for i in ground_truth["images"] if i["id"] in keep],
        "annotations": [a for a in ground_truth["annotations"] if a["image_id"] in keep],
    }
