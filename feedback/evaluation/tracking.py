"""The MLflow run of an evaluation, queued in the tracking outbox with its artifacts staged on disk.

Run: tags `hitl.kind=evaluation`, `hitl.project`; params backend, model, revision, `prompt.<label>`,
dataset git rev and DVC hash, frame count; metrics `map`, `map_50`, `map_75`, `ap_50/<label>`,
`ap/<label>`, `precision`, `recall`, `seconds_per_frame`; artifacts `ground_truth.json` (COCO),
`detections.json` (COCO results), `pr_curves/<label>.png`, `disagreements/` (the 20 frames where
model and humans disagreed most, drawn, with `disagreements.json`) and `detector/detector.json`,
which becomes a version of the registered model `hitl-project-<id>-<backend>` tagged with the scores.
"""

import re
from pathlib import Path

import orjson
from PIL import Image as PILImage
from PIL import ImageDraw

from annotations.models import Image
from tracking.outbox import outbox_enqueue
from tracking.runs import project_experiment, staging_root

WORST_FRAMES = 20
DRAWN_MAX_SIDE = 800
METRIC_NAME = re.compile(r"[^A-Za-z0-9_\-. /]")


def metric_label(name: str) -> str:
    """A label name as MLflow accepts it in a metric or param key."""
    return METRIC_NAME.sub("_", name)[:200] or "_"


def registered_model_name(evaluation) -> str:
    backend = (evaluation.detector.get("ran") or {}).get("backend") or evaluation.backend
    return f"hitl-project-{evaluation.project_id}-{metric_label(backend).replace(' ', '_')}"


def _pr_curve(name: str, curve: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a display
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 4))
    axes = fig.subplots()
    axes.plot(curve["recall"], curve["precision"], drawstyle="steps-post")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("recall")
    axes.set_ylabel("precision")
    axes.set_title(f"{name}: precision / recall at IoU 0.5")
    fig.savefig(path, format="png", dpi=80)


def _draw(image_id: int, truths: list, found: list, path: Path) -> bool:
    """The frame with human boxes in green and the model's in red, at most DRAWN_MAX_SIDE px."""
    image = Image.objects.filter(pk=image_id).first()
    if image is None:
        return False
    with image.file.open("rb") as handle:
        picture = PILImage.open(handle)
        picture.draft("RGB", (DRAWN_MAX_SIDE, DRAWN_MAX_SIDE))  # JPEG: decode at a reduced size
        picture = picture.convert("RGB")
    scale = min(1.0, DRAWN_MAX_SIDE / max(image.width, image.height))
    picture = picture.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    pen = ImageDraw.Draw(picture)
    for boxes, colour in ((truths, "#22c55e"), (found, "#ef4444")):
        for x, y, w, h in boxes:
            pen.rectangle([x * scale, y * scale, (x + w) * scale, (y + h) * scale], outline=colour, width=2)
    picture.save(path, format="PNG")
    return True


def _disagreements(scores: dict, ground_truth: dict, detections: list, folder: Path) -> list[dict]:
    worst = sorted(scores["disagreement"].items(), key=lambda item: (-item[1], item[0]))[:WORST_FRAMES]
    frames = {i["id"]: i for i in ground_truth["images"]}
    out = []
    for rank, (image_id, score) in enumerate(worst, 1):
        if score <= 0:
            break
        truths = [a["bbox"] for a in ground_truth["annotations"] if a["image_id"] == image_id]
        found = [d["bbox"] for d in detections if d["image_id"] == image_id]
        name = f"{rank:02d}_frame-{frames[image_id].get('frame_index', 0)}_{image_id}.png"
        drawn = _draw(image_id, truths, found, folder / name)
        out.append({"rank": rank, "image_id": image_id, "frame_index": frames[image_id].get("frame_index"),
                    "file_name": frames[image_id].get("file_name"), "disagreement": score,
                    "human_boxes": len(truths), "model_boxes": len(found), "drawing": name if drawn else None})
    return out


def evaluation_track(*, evaluation, scores: dict, ground_truth: dict, detections: list) -> str:
    """Stage the artifacts and queue the evaluation's run (and model version); returns the outbox key."""
    key = f"evaluation:{evaluation.pk}"
    staging = staging_root() / key.replace(":", "-")
    (staging / "pr_curves").mkdir(parents=True, exist_ok=True)
    (staging / "disagreements").mkdir(exist_ok=True)
    (staging / "detector").mkdir(exist_ok=True)
    (staging / "ground_truth.json").write_bytes(orjson.dumps(ground_truth))
    (staging / "detections.json").write_bytes(orjson.dumps(detections))
    artifacts = [{"path": str(staging / "ground_truth.json")}, {"path": str(staging / "detections.json")}]
    for name, curve in scores["pr_curves"].items():
        path = staging / "pr_curves" / f"{metric_label(name).replace('/', '_')}.png"
        _pr_curve(name, curve, path)
        artifacts.append({"path": str(path), "dir": "pr_curves"})
    worst = _disagreements(scores, ground_truth, detections, staging / "disagreements")
    (staging / "disagreements" / "disagreements.json").write_bytes(orjson.dumps(worst, option=orjson.OPT_INDENT_2))
    artifacts.extend({"path": str(p), "dir": "disagreements"} for p in sorted((staging / "disagreements").iterdir()))
    dataset = evaluation.dataset_version
    ran = evaluation.detector.get("ran") or {}
    config = {"backend": ran.get("backend") or evaluation.backend, "model": ran.get("model") or evaluation.model,
              "revision": ran.get("revision") or evaluation.revision, "prompts": evaluation.prompts}
    (staging / "detector" / "detector.json").write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2))
    artifacts.append({"path": str(staging / "detector" / "detector.json"), "dir": "detector"})
    metrics = {k: scores[k] for k in ("map", "map_50", "map_75", "precision", "recall", "seconds_per_frame",
                                      "wall_seconds", "tp", "fp", "fn", "frames", "frames_failed")}
    metrics.update({f"ap_50/{metric_label(n)}": v for n, v in scores["ap_50"].items()})
    metrics.update({f"ap/{metric_label(n)}": v for n, v in scores["ap"].items()})
    for label, search in (scores.get("prompt_search") or {}).items():
        metrics.update({f"prompt_search/{metric_label(label)}/{metric_label(p)}": ap
                        for p, ap in search["ap_50"].items()})
    project = evaluation.project
    payload = {
        "experiment": project_experiment(project),
        "run_name": f"evaluation-{evaluation.pk}-{config['backend']}",
        "start_ms": int(evaluation.started_at.timestamp() * 1000) if evaluation.started_at else None,
        "end_ms": int(evaluation.finished_at.timestamp() * 1000) if evaluation.finished_at else None,
        "params": {
            **{k: config[k] for k in ("backend", "model", "revision")},
            "backend_requested": evaluation.backend,
            "device": evaluation.detector.get("device"),
            **{f"prompt.{metric_label(n)}": p for n, p in evaluation.prompts.items()},
            **{f"prompt_candidates.{metric_label(n)}": ", ".join(c) for n, c in evaluation.prompt_candidates.items()},
            **{f"prompt_search.best.{metric_label(n)}": s["best"] for n, s in (scores.get("prompt_search") or {}).items()},
            "only": evaluation.only,
            "limit": evaluation.limit,
            "dataset_version_id": evaluation.dataset_version_id,
            "dataset_git_rev": dataset.git_rev if dataset else "",
            "dataset_dvc_hash": dataset.dvc_hash if dataset else "",
            "frames": scores["frames"],
            "unsupported_labels": ", ".join(scores.get("unsupported_labels") or []) or None,
        },
        "metrics": metrics,
        "tags": {"hitl.kind": "evaluation", "hitl.project": project.name, "project_id": project.pk,
                 "evaluation_id": evaluation.pk,
                 "user": getattr(evaluation.created_by, "username", "") or ""},
        "artifacts": artifacts,
        "staging_dir": str(staging),
        "target": {"model": "feedback.Evaluation", "pk": evaluation.pk},
        "register": {
            "name": registered_model_name(evaluation),
            "artifact_path": "detector",
            "description": f"Detector configurations evaluated on project {project.name!r} ({project.pk}).",
            "tags": {"map": scores["map"], "map_50": scores["map_50"], "map_75": scores["map_75"],
                     "revision": config["revision"], "model": config["model"], "evaluation_id": evaluation.pk,
                     "prompts": orjson.dumps(evaluation.prompts).decode()},
        },
    }
    evaluation.registered_model = payload["register"]["name"]
    evaluation.save(update_fields=["registered_model"])
    outbox_enqueue(kind="evaluation", key=key, payload=payload)
    return key
