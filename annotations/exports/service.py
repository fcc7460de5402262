"""`dataset_export`: write an export, optionally version it with DVC, record a DatasetVersion
and queue its MLflow run."""

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from annotations.errors import InvalidInput
from annotations.exports import dvc as dvc_repo
from annotations.exports import rows, splits
from annotations.exports.coco import coco_write
from annotations.exports.datasheet import datasheet_write, split_lists_write
from annotations.exports.mot import mot_groups, mot_write
from annotations.exports.tracking import dataset_export_track
from annotations.exports.voc import voc_write
from annotations.exports.yolo import yolo_write
from annotations.models import DatasetVersion

WRITERS = {"coco": coco_write, "yolo": yolo_write, "voc": voc_write, "mot": mot_write}


def project_slug(project) -> str:
    return f"project-{project.pk}-{slugify(project.name)[:40] or 'unnamed'}"


def exports_dir() -> Path:
    """Plain (unversioned) exports live beside the dataset repository, under `exports/`."""
    return Path(settings.DVC_REPO_DIR).parent / "exports"


def export_folder(*, project, format: str, only: str, out: Path | None, dvc: bool) -> Path:
    """Where an export goes. With DVC the same dataset keeps one path, so versions are
    commits of it; without, every export gets a fresh timestamped folder."""
    if dvc:
        folder = Path(out) if out else dvc_repo.repo_dir() / project_slug(project) / f"{format}-{only}"
        return dvc_repo.folder_prepare(folder, ours=_exported_before)
    if out:
        folder = Path(out)
        if folder.exists() and any(folder.iterdir()):
            raise InvalidInput(f"{folder} exists and is not empty; choose an empty or new folder.")
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        folder = exports_dir() / project_slug(project) / f"{format}-{only}-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _undo_partial(folder: Path, *, created: bool) -> None:
    """Remove a failed export's files; a folder the caller gave (it was empty) is kept, only emptied."""
    if created:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _exported_before(folder: Path) -> bool:
    return DatasetVersion.objects.filter(path=str(folder)).exists()


def dataset_export(
    *,
    project,
    user=None,
    format: str,
    only: str = "approved",
    out: Path | str | None = None,
    dvc: bool = False,
    push: bool = False,
    copy_images: bool = True,
    progress: Callable | None = None,
    split: str | None = None,
    seed: int = 0,
) -> DatasetVersion:
    """Export the project's boxes (`only` approved / submitted+approved / all frames) in
    `format`; with `dvc`, commit the export as a new version of the dataset repo (and push
    it with `push`). With `split` (`train=0.8,val=0.2`, see exports/splits.py) the frames are
    split by group for `seed`, and the folder also gets `<split>.txt` lists and `datasheet.md`.
    Returns the DatasetVersion, whose MLflow run is queued in the outbox."""
    if format not in WRITERS:
        raise InvalidInput(f"--format must be one of {', '.join(WRITERS)}; got {format!r}.")
    rows.only_check(only)
    ratios = splits.split_parse(split) if split is not None else None
    if push and not dvc:
        raise InvalidInput("--push needs --dvc.")
    given = Path(out) if out else None
    existed = given is not None and given.exists()
    folder = export_folder(project=project, format=format, only=only, out=given, dvc=dvc)
    try:
        counts = _write(project=project, format=format, only=only, out=folder, copy_images=copy_images,
                        progress=progress, ratios=ratios, seed=seed)
    except BaseException:
        if not dvc:
            _undo_partial(folder, created=not existed)
        raise
    git_rev = dvc_hash = ""
    if dvc:
        message = (
            f"{project.name} (project {project.pk}): {format} export of {only} frames, "
            f"{counts['images']} images, {counts['boxes']} boxes, {counts['labels']} labels"
            + (f", split {split} seed {seed}" if ratios else "")
        )
        version = dvc_repo.version_commit(folder=folder, message=message)
        git_rev, dvc_hash = version.git_rev, version.dvc_hash
        if push:
            dvc_repo.push()
    with transaction.atomic():
        dataset = DatasetVersion.objects.create(
            project=project, format=format, only=only, path=str(folder), git_rev=git_rev, dvc_hash=dvc_hash,
            counts={**counts, "pushed": bool(push)}, created_by=user if getattr(user, "pk", None) else None,
        )
        _track(dataset)
    return dataset


def _write(*, project, format, only, out, copy_images, progress, ratios, seed) -> dict:
    if ratios is None:
        return WRITERS[format](project=project, only=only, out=out, copy_images=copy_images, progress=progress)
    groups = (mot_groups if format == "mot" else splits.frame_groups)(project_id=project.pk, only=only)
    assigned = splits.split_assign(groups, ratios, seed)
    extra = {"split": assigned} if format in ("coco", "yolo", "mot") else {}
    counts = WRITERS[format](project=project, only=only, out=out, copy_images=copy_images, progress=progress, **extra)
    if format != "mot":  # MOT lists its sequence folders per split in seqmaps/ instead
        split_lists_write(project_id=project.pk, only=only, out=out, split=assigned)
    datasheet_write(project=project, only=only, format=format, out=out, split=assigned, ratios=ratios, seed=seed)
    counts["splits"] = {name: splits.split_counts(assigned).get(name, 0) for name in ratios}
    counts["seed"] = seed
    return counts


def _track(dataset: DatasetVersion) -> None:
    key = dataset_export_track(dataset=dataset)
    if key and not dataset.mlflow_run_id:
        dataset.mlflow_run_id = key[:64]
        dataset.save(update_fields=["mlflow_run_id"])
