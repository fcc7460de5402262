"""Row builders for the metrics, next-frame and dashboard tests: jobs, predictions, boxes, events, feedback.

Frames built with `Rows.frames` have no stored file (rows only), which keeps the
thousands-of-frames tests fast; the metrics never read image bytes.
"""

import datetime as dt

from django.utils import timezone

from annotations.models import AnnotationEvent, Box, Image
from annotations.models import FrameFeedback
from inference.models import DetectionJob, JobStatus, Prediction


class Rows:
    """Small builders; every one writes real rows the selectors then read."""

    def __init__(self, project):
        self.project = project

    def frames(self, n, *, status="new", start=0, width=640, height=480):
        frames = [
            Image(
                project=self.project,
                file=f"bare/{self.project.pk}/{start + i}.png",
                format="PNG",
                sha256=f"{self.project.pk:08d}{start + i:056d}",
                width=width,
                height=height,
                frame_index=start + i,
                status=status,
            )
            for i in range(n)
        ]
        return Image.objects.bulk_create(frames, batch_size=2000)

    def job(self, image, prompts, *, revision="2025-06-21", when=None):
        job = DetectionJob.objects.create(
            image=image, prompts=list(prompts), status=JobStatus.DONE, backend="test", revision=revision
        )
        if when is not None:
            DetectionJob.objects.filter(pk=job.pk).update(created_at=when)
            job.created_at = when
        return job

    def pred(self, job, label, box, *, score=0.9, status="pending", rank=None, prompt=None):
        prompt = prompt or (label.effective_prompt if label else "thing")
        rank = rank if rank is not None else Prediction.objects.filter(job=job, prompt=prompt).count()
        x0, y0, x1, y1 = box
        return Prediction.objects.create(
            job=job, image=job.image, label=label, prompt=prompt, rank=rank, score=score, status=status,
            x_min=x0, y_min=y0, x_max=x1, y_max=y1,
        )

    def box(self, image, label, box, *, prediction=None, user=None):
        x0, y0, x1, y1 = box
        return Box.objects.create(
            image=image, label=label, x_min=x0, y_min=y0, x_max=x1, y_max=y1, prediction=prediction,
            source="ai" if prediction else "human", created_by=user,
        )

    def events(self, image, user, seconds, *, start=None, action="create"):
        """Events by `user` on `image` at `start + s` for each s in `seconds`."""
        start = start or timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
        rows = AnnotationEvent.objects.bulk_create(
            [AnnotationEvent(image=image, user=user, action=action) for _ in seconds]
        )
        for row, s in zip(rows, seconds):
            AnnotationEvent.objects.filter(pk=row.pk).update(created_at=start + dt.timedelta(seconds=s))
        return rows

    def rate(self, image, user, rating):
        return FrameFeedback.objects.create(image=image, user=user, rating=rating)
