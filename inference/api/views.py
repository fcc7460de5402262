"""Detection jobs, predictions and the detector's status over REST. Thin: parse → service → serialize.

- `POST /api/images/{id}/detect/` `{prompts, frames?}` → 202 with the job (and `Location` of the job).
  Invalid or unsupported prompts → 400 naming them; a job already active on the frame → 409.
  `frames: N` (1…INFERENCE_DETECT_MAX_FRAMES, else 400) also queues the next N − 1 frames of the
  sequence: the answer adds `jobs` (all of them, in frame order) and `skipped` (frames already busy).
- `GET /api/jobs/{id}/` → the job.
- `GET /api/images/{id}/predictions/` (`?status=`, `?job=`, paginated) → predictions.
- `POST /api/predictions/{id}/accept/` (optional `label`, `x_min`…) → `{prediction, box}`;
  `POST /api/predictions/{id}/reject/` → the prediction; already decided → 409.
- `POST /api/images/{id}/predictions/accept-all/` → `{accepted: [{prediction, box}], skipped: [...]}`;
  `.../reject-all/` → `{rejected: [...]}`.
- `GET /api/inference/status/` → backend, model, revision, device, supported prompts, reason.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import image_get_for_user, project_get_for_user
from annotations.api.pagination import Pagination
from annotations.converters import MAX_ID
from annotations.api.schema import ErrorOutput
from annotations.errors import NotFound
from annotations.selectors.boxes import box_to_dict
from inference.api.serializers import (
    AcceptInput,
    AcceptOutput,
    DetectInput,
    JobOutput,
    PredictionOutput,
    PredictionsFilter,
)
from inference.models import DetectionJob, Prediction
from inference.selectors import job_to_dict, prediction_to_dict, predictions_for_image
from inference.services import (
    prediction_accept,
    prediction_reject,
    predictions_accept_all,
    predictions_reject_all,
)
from inference.services.detect_across import jobs_submit_across
from inference.status import detector_status, project_detector_config



def _get(model, pk):
    try:
        return model.objects.get(pk=int(pk))
    except (TypeError, ValueError, OverflowError, model.DoesNotExist):
        raise NotFound() from None


def prediction_get_for_user(*, pk, user) -> Prediction:
    prediction = _get(Prediction, pk)
    image_get_for_user(pk=prediction.image_id, user=user)  # 404 outside the caller's projects
    return prediction


class DetectApi(APIView):
    @extend_schema(request=DetectInput, responses={202: JobOutput})
    def post(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        data = DetectInput(data=request.data)
        data.is_valid(raise_exception=True)
        jobs, skipped = jobs_submit_across(image=image, user=request.user, prompts=data.validated_data.get("prompts"),
                                           frames=data.validated_data["frames"])
        headers = {"Location": reverse("inference-job", kwargs={"pk": jobs[0].pk})}
        body = job_to_dict(jobs[0])
        if data.validated_data["frames"] > 1:  # this frame's job, as before, plus the whole range's
            body.update(jobs=[job_to_dict(job) for job in jobs], skipped=skipped)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)


class JobApi(APIView):
    @extend_schema(responses=JobOutput)
    def get(self, request, pk):
        job = _get(DetectionJob, pk)
        image_get_for_user(pk=job.image_id, user=request.user)
        # A read never writes: reaping a dead worker's job is the worker's periodic work, so a poll
        # can no longer re-queue (and re-run) a job that crashes its process.
        return Response(job_to_dict(job))


class ImagePredictionsApi(APIView):
    @extend_schema(parameters=[PredictionsFilter], responses=PredictionOutput(many=True))
    def get(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        query = PredictionsFilter(data=request.query_params)
        query.is_valid(raise_exception=True)
        predictions = predictions_for_image(
            image=image, status=query.validated_data.get("status"), job_id=query.validated_data.get("job")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(predictions, request, view=self)
        return paginator.get_paginated_response([prediction_to_dict(p) for p in page])


class AcceptApi(APIView):
    @extend_schema(request=AcceptInput, responses=AcceptOutput)
    def post(self, request, pk):
        prediction = prediction_get_for_user(pk=pk, user=request.user)
        data = AcceptInput(data=request.data, context={"project_id": prediction.image.project_id})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        label = values.pop("label", None)
        prediction, box = prediction_accept(prediction=prediction, user=request.user, coords=values or None, label=label)
        return Response({"prediction": prediction_to_dict(prediction), "box": box_to_dict(box)})


class RejectApi(APIView):
    @extend_schema(request=None, responses=PredictionOutput)
    def post(self, request, pk):
        prediction = prediction_get_for_user(pk=pk, user=request.user)
        prediction = prediction_reject(prediction=prediction, user=request.user)
        return Response(prediction_to_dict(prediction))


class AcceptAllApi(APIView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "AcceptAll", {"accepted": AcceptOutput(many=True), "skipped": PredictionOutput(many=True)}
        ),
    )
    def post(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        result = predictions_accept_all(image=image, user=request.user)
        return Response(
            {
                "accepted": [{"prediction": prediction_to_dict(p), "box": box_to_dict(b)} for p, b in result["accepted"]],
                "skipped": [prediction_to_dict(p) for p in result["skipped"]],
            }
        )


class RejectAllApi(APIView):
    @extend_schema(request=None, responses=inline_serializer("RejectAll", {"rejected": PredictionOutput(many=True)}))
    def post(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        rejected = predictions_reject_all(image=image, user=request.user)
        return Response({"rejected": [prediction_to_dict(p) for p in rejected]})


class StatusQuery(serializers.Serializer):
    project = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class StatusApi(APIView):
    @extend_schema(
        parameters=[StatusQuery],
        responses={
            404: ErrorOutput,  # ?project= outside the caller's projects
            200: inline_serializer(
                "InferenceStatus",
                {
                    "backend": serializers.CharField(),
                    "model": serializers.CharField(),
                    "revision": serializers.CharField(),
                    "device": serializers.CharField(),
                    "supported_prompts": serializers.ListField(child=serializers.CharField(), allow_null=True),
                    "reason": serializers.CharField(),
                    "execution": serializers.CharField(),
                    "source": serializers.CharField(help_text="worker: as reported by a worker; web: this process"),
                    "loaded": serializers.BooleanField(
                        required=False, help_text="moondream: whether its model is loaded"
                    ),
                    "error": serializers.CharField(
                        required=False, allow_null=True,
                        help_text="moondream: why its model failed to load or its self-check, with the fix; "
                                  "null once loaded",
                    ),
                    "project_config": serializers.DictField(
                        required=False, allow_null=True,
                        help_text="With ?project=ID: the project's active configuration (set by promoting an "
                                  "evaluation) and `workers_match`, whether the workers run it.",
                    ),
                },
            ),
        },
    )
    def get(self, request):
        query = StatusQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        answer = detector_status()
        if "project" in query.validated_data:
            project = project_get_for_user(pk=query.validated_data["project"], user=request.user)
            answer["project_config"] = project_detector_config(project_id=project.pk)
        return Response(answer)
