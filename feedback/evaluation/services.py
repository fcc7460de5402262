"""Evaluations, the user's side: create (check → row), cancel, resume; and what every step shares
(the progress broadcast, failing with a reason).

The driver that runs a queued evaluation is `driver.py`; scoring its frames at the end, `results.py`.
"""

import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotations.broadcast import broadcast_on_commit, project_group
from annotations.errors import Conflict
from feedback.evaluation.models import ACTIVE_EVALUATION_STATUSES, Evaluation, EvaluationFrame, EvaluationStatus, FrameStatus
from feedback.evaluation.options import evaluation_options_check
from feedback.evaluation.selectors import evaluation_progress



def stale_seconds() -> float:
    """A running evaluation whose driver has not beaten for this long is orphaned: a worker takes it over."""
    return float(settings.EVALUATION_STALE_SECONDS)


def driver_name() -> str:
    """This process, as an evaluation's `driver`."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def progress_on_commit(evaluation: Evaluation) -> None:
    broadcast_on_commit(project_group(evaluation.project_id), "evaluation.progress",
                        lambda: evaluation_progress(evaluation_id=evaluation.pk))


@transaction.atomic
def evaluation_create(*, project, user, backend=None, model="", revision="", prompts=None, only="approved",
                      dataset=None, limit=None, prompt_candidates=None, driver: str = "") -> Evaluation:
    """Check every option (400 naming the bad one, nothing created) and queue the evaluation.

    The frames, the dataset version (a DVC export made now when none is given) and the jobs
    come when it runs (`evaluation_run`): in an inference worker's periodic work (it takes queued
    evaluations), or, with `driver` (the `evaluate_model` command), in the caller, which then holds
    it from the start so no worker takes it.
    """
    options = evaluation_options_check(project=project, backend=backend, model=model, revision=revision,
                                       prompts=prompts, only=only, dataset=dataset, limit=limit,
                                       prompt_candidates=prompt_candidates)
    evaluation = Evaluation.objects.create(
        project=project, backend=options.backend, model=options.model, revision=options.revision,
        prompts=options.prompts, prompt_candidates=options.prompt_candidates, only=options.only, limit=options.limit, dataset_version=options.dataset_version,
        detector={**options.detector, "unsupported_labels": options.unsupported, "choice": options.choice},
        created_by=user, **_held_by(driver),
    )
    progress_on_commit(evaluation)
    return evaluation


def _held_by(driver: str) -> dict:
    """Fields of an evaluation queued for the workers (no driver) or held by `driver` from now."""
    if not driver:
        return {"status": EvaluationStatus.QUEUED, "driver": "", "heartbeat_at": None}
    return {"status": EvaluationStatus.RUNNING, "driver": driver, "heartbeat_at": timezone.now()}


def evaluation_cancel(*, evaluation: Evaluation) -> Evaluation:
    """Stop a queued or running evaluation; its finished frames are kept for a resume."""
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if locked.status not in ACTIVE_EVALUATION_STATUSES:
            raise Conflict(f"The evaluation is {locked.status}; only a queued or running one can be cancelled.")
        locked.status, locked.finished_at = EvaluationStatus.CANCELLED, timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        progress_on_commit(locked)
    return locked


def evaluation_resume(*, evaluation: Evaluation, driver: str = "") -> Evaluation:
    """Queue a cancelled, failed or orphaned (driver gone) evaluation again; done frames stay done.
    `driver`: held by the caller from now (see `evaluation_create`)."""
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        stale = timezone.now() - timedelta(seconds=stale_seconds())
        orphaned = locked.status == EvaluationStatus.RUNNING and (locked.heartbeat_at or locked.created_at) < stale
        if locked.status not in (EvaluationStatus.CANCELLED, EvaluationStatus.FAILED, EvaluationStatus.QUEUED) \
                and not orphaned:
            raise Conflict(f"The evaluation is {locked.status}; only a cancelled, failed or stalled one can resume.")
        locked.error, locked.finished_at = "", None
        for name, value in _held_by(driver).items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", "error", "finished_at", "driver", "heartbeat_at"])
        EvaluationFrame.objects.filter(evaluation=locked, status=FrameStatus.FAILED).update(
            status=FrameStatus.PENDING, job=None, error="")
        progress_on_commit(locked)
    return locked


def evaluation_fail(evaluation: Evaluation, reason: str) -> None:
    Evaluation.objects.filter(pk=evaluation.pk, status__in=ACTIVE_EVALUATION_STATUSES).update(
        status=EvaluationStatus.FAILED, error=str(reason)[:2000], finished_at=timezone.now())
    with transaction.atomic():
        progress_on_commit(evaluation)


