"""The MLflow run of a dataset export, as an outbox payload (plain JSON, built at enqueue)."""

from tracking.outbox import outbox_enqueue
from tracking.runs import ms, project_experiment, user_tag


def dataset_export_track(*, dataset) -> str:
    """Queue the MLflow run of a dataset export; returns the outbox key."""
    project = dataset.project
    key = f"dataset_version:{dataset.pk}"
    payload = {
        "experiment": project_experiment(project),
        "run_name": f"export-{dataset.format}-{dataset.only}-{dataset.pk}",
        "start_ms": ms(dataset.created_at),
        "params": {
            "format": dataset.format,
            "only": dataset.only,
            "path": dataset.path,
            "git_rev": dataset.git_rev,
            "dvc_hash": dataset.dvc_hash,
            "dataset_version_id": dataset.pk,
        },
        "metrics": {k: v for k, v in dataset.counts.items() if isinstance(v, int | float)},
        "tags": {"hitl.kind": "dataset_export", "project": project.name, "project_id": project.pk,
                 "user": user_tag(dataset.created_by)},
        "target": {"model": "annotations.DatasetVersion", "pk": dataset.pk},
    }
    outbox_enqueue(kind="dataset_export", key=key, payload=payload)
    return key
