"""The project audit run: every AI-audit metric, per label, a plot and the annotations.

Built in the command (never in a request) and queued like every other run: the artifacts
wait in a staging folder until the outbox sends them, then the folder is removed.
"""

import re
from datetime import UTC, datetime
from pathlib import Path

import orjson

from annotations.exports.coco import coco_write
from feedback.selectors import metrics_for_project
from tracking.outbox import outbox_enqueue
from tracking.runs import project_experiment, staging_root, user_tag

# Lists in the metrics dict that are not per-label/per-revision figures: artifacts only.
SKIPPED = {"per_label", "per_revision", "progress_over_time", "disagreement_by_frame", "filters", "project"}
_UNSAFE = re.compile(r"[^\w\-. /]")


def metric_key(*parts) -> str:
    return ".".join(_UNSAFE.sub("_", str(p)) for p in parts)[:250]


def flatten(prefix: tuple, value, out: dict) -> dict:
    """Numeric leaves of nested dicts as dotted MLflow metric names (None and text skipped)."""
    if isinstance(value, dict):
        for k, v in value.items():
            flatten((*prefix, k), v, out)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out[metric_key(*prefix)] = value
    return out


def audit_metrics(metrics: dict) -> dict:
    out = {}
    for section, value in metrics.items():
        if section not in SKIPPED:
            flatten((section,), value, out)
    for row in metrics.get("per_label", []):
        flatten(("label", row["name"]), {k: v for k, v in row.items() if k not in ("label", "name", "color")}, out)
    for row in metrics.get("per_revision", []):
        flatten(("revision", row["revision"] or "none"), {k: v for k, v in row.items() if k != "revision"}, out)
    return out


def audit_plot(per_label: list, path: Path) -> Path:
    """Acceptance rate, precision and recall per label, as a PNG."""
    from matplotlib.figure import Figure  # no pyplot: no global state, Agg canvas

    names = [row["name"] for row in per_label] or ["(no labels)"]
    x = range(len(names))

    def values(key):
        return [row.get(key) or 0.0 for row in per_label] or [0.0]

    fig = Figure(figsize=(max(6, 1.2 * len(names) + 2), 6), tight_layout=True)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.bar(x, values("acceptance_rate"), color=[row.get("color") or "#1f77b4" for row in per_label] or None)
    top.set_ylabel("acceptance rate")
    top.set_ylim(0, 1)
    top.set_title("AI boxes accepted, and precision / recall against the human boxes, per label")
    width = 0.4
    bottom.bar([i - width / 2 for i in x], values("precision"), width, label="precision")
    bottom.bar([i + width / 2 for i in x], values("recall"), width, label="recall")
    bottom.set_ylim(0, 1)
    bottom.legend()
    bottom.set_xticks(list(x), names, rotation=30, ha="right")
    fig.savefig(path, format="png", dpi=100)
    return path


def project_audit_enqueue(*, project, user=None) -> str:
    """Compute the audit, stage its artifacts and queue the run; returns the outbox key."""
    stamp = datetime.now(UTC)
    key = f"project_audit:{project.pk}:{stamp:%Y%m%dT%H%M%S%f}"
    staging = staging_root() / key.replace(":", "-")
    staging.mkdir(parents=True)
    metrics = metrics_for_project(project=project)
    (staging / "metrics.json").write_bytes(orjson.dumps(metrics, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    audit_plot(metrics.get("per_label", []), staging / "per_label.png")
    counts = coco_write(project=project, only="all", out=staging / "coco", copy_images=False)
    payload = {
        "experiment": project_experiment(project),
        "run_name": f"audit-{stamp:%Y%m%dT%H%M%S}",
        "start_ms": int(stamp.timestamp() * 1000),
        "params": {"project_id": project.pk, "project": project.name, "ground_truth": metrics.get("ground_truth"),
                   "labels": ", ".join(row["name"] for row in metrics.get("per_label", []))},
        "metrics": {**audit_metrics(metrics), "export.images": counts["images"], "export.boxes": counts["boxes"]},
        "tags": {"hitl.kind": "project_audit", "project": project.name, "project_id": project.pk,
                 "user": user_tag(user)},
        "artifacts": [
            {"path": str(staging / "per_label.png"), "dir": "plots"},
            {"path": str(staging / "metrics.json"), "dir": "metrics"},
            {"path": str(staging / "coco" / "annotations.json"), "dir": "annotations"},
        ],
        "staging_dir": str(staging),
    }
    outbox_enqueue(kind="project_audit", key=key, payload=payload)
    return key
