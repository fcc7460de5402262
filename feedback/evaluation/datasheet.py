"""The "Evaluations" section of an export's datasheet.md (annotations/exports/datasheet.py calls it;
it may not import feedback, so this registers itself in FeedbackConfig.ready())."""

from annotations.exports.datasheet import datasheet_section_register
from feedback.evaluation.models import Evaluation

METRICS = ("map", "map_50", "map_75")


def evaluations_section(*, project, folder) -> list[str]:
    """Evaluations of earlier versions of this dataset (the same export folder): a version being
    written cannot have been evaluated yet, so its lineage is what the reader can compare."""
    evaluations = (
        Evaluation.objects.filter(project=project, dataset_version__path=str(folder))
        .select_related("dataset_version")
        .order_by("id")
    )
    lines = [
        f"| evaluation | dataset version | git rev | backend | model | status | {' | '.join(METRICS)} |",
        "|---" * (6 + len(METRICS)) + "|",
    ]
    for ev in evaluations:
        scores = " | ".join(
            f"{ev.metrics[m]:.4f}" if isinstance(ev.metrics.get(m), (int, float)) else "" for m in METRICS
        )
        lines.append(
            f"| {ev.pk} | {ev.dataset_version_id} | {ev.dataset_version.git_rev[:12]} | {ev.backend} | "
            f"{ev.model} | {ev.status} | {scores} |"
        )
    if len(lines) == 2:
        return ["This version is new, so no evaluation has used it yet; none used an earlier version of this "
                "dataset (the same export folder) either."]
    return ["This version is new, so no evaluation has used it yet. Evaluations of earlier versions of this "
            "dataset (the same export folder):", "", *lines]


def datasheet_section_install() -> None:
    datasheet_section_register("Evaluations", evaluations_section)
