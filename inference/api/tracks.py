"""Track propagation and job cancelling over REST. Thin: parse → service → serialize.

- `POST /api/tracks/{id}/propagate/` `{from_image, frames}` → 202 with the job (`kind: "propagate"`,
  `Location` of the job); boxes stream as `track.result`, then `track.done` (services/propagation.py).
  Not a frame of the track's project or sequence, no box of the track on it, or `frames` outside
  1…INFERENCE_PROPAGATE_MAX_FRAMES → 400; a job already active on the frame → 409.
- `POST /api/jobs/{id}/cancel/` → 200 with the job, now `cancelled`; a job already over → 409.
Annotators and up; anything outside the caller's projects is 404.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import image_get_for_user, track_get_for_user
from annotations.errors import NotFound
from inference.api.serializers import JobOutput, PropagateInput
from inference.models import DetectionJob
from inference.selectors import job_to_dict
from inference.services.job_control import job_cancel
from inference.services.propagation import propagation_submit


class PropagateApi(APIView):
    @extend_schema(request=PropagateInput, responses={202: JobOutput})
    def post(self, request, pk):
        track = track_get_for_user(pk=pk, user=request.user)
        data = PropagateInput(data=request.data)
        data.is_valid(raise_exception=True)
        image = image_get_for_user(pk=data.validated_data["from_image"], user=request.user)
        job = propagation_submit(track=track, from_image=image, frames=data.validated_data["frames"], user=request.user)
        headers = {"Location": reverse("inference-job", kwargs={"pk": job.pk})}
        return Response(job_to_dict(job), status=status.HTTP_202_ACCEPTED, headers=headers)


class JobCancelApi(APIView):
    @extend_schema(request=None, responses=JobOutput)
    def post(self, request, pk):
        job = DetectionJob.objects.filter(pk=pk).first()
        if job is None:
            raise NotFound()
        image_get_for_user(pk=job.image_id, user=request.user)
        return Response(job_to_dict(job_cancel(job=job, user=request.user)))
