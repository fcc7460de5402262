"""Evaluations over REST.

- `POST /api/projects/{id}/evaluations/` (managers) `{backend, model, revision, prompts: {label: prompt},
  only, dataset_version, limit}` → 202 with the evaluation; a bad option is a 400 naming it and
  creates nothing.
- `GET /api/projects/{id}/evaluations/` (members) — newest first, paginated.
- `GET /api/evaluations/{id}/` (members) · `POST /api/evaluations/{id}/cancel/` · `…/resume/` (managers).
- `POST /api/evaluations/{id}/promote/` (managers): "Use this configuration" → `{evaluation, project_config}`.
Progress goes out as `evaluation.progress {evaluation}` on `/ws/projects/{id}/`.
"""

from django.urls import path, reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import project_get_for_user, require_role
from annotations.api.pagination import Pagination
from annotations.converters import MAX_ID
from annotations.errors import NotFound
from annotations.exports import rows
from annotations.models import Role
from feedback.evaluation.models import Evaluation
from feedback.evaluation.options import BACKENDS
from feedback.evaluation.promotion import evaluation_promote
from feedback.evaluation.selectors import evaluation_to_dict, evaluations_for_project, evaluations_for_project_any
from feedback.evaluation.services import evaluation_cancel, evaluation_create, evaluation_resume
from inference.status import project_detector_config

EvaluationOutput = inline_serializer(
    "Evaluation",
    {
        "id": serializers.IntegerField(),
        "project": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=["queued", "running", "done", "failed", "cancelled"]),
        "backend": serializers.CharField(),
        "model": serializers.CharField(),
        "revision": serializers.CharField(),
        "prompts": serializers.DictField(child=serializers.CharField()),
        "prompt_candidates": serializers.DictField(),
        "only": serializers.CharField(),
        "limit": serializers.IntegerField(allow_null=True),
        "dataset_version": serializers.IntegerField(allow_null=True),
        "dataset": serializers.DictField(allow_null=True),
        "frames": serializers.IntegerField(),
        "frames_done": serializers.IntegerField(),
        "frames_failed": serializers.IntegerField(),
        "metrics": serializers.DictField(help_text="map, map_50, map_75, ap_50 {label: ap}, ap, precision, "
                                                   "recall, seconds_per_frame, …"),
        "detector": serializers.DictField(),
        "error": serializers.CharField(),
        "mlflow_run_id": serializers.CharField(),
        "mlflow_url": serializers.CharField(allow_null=True, help_text="The run in the MLflow UI (tracking server only)."),
        "registered_model": serializers.CharField(),
        "created_by": serializers.IntegerField(allow_null=True),
        "created_by_username": serializers.CharField(allow_null=True),
        "created_at": serializers.DateTimeField(),
        "started_at": serializers.DateTimeField(allow_null=True),
        "finished_at": serializers.DateTimeField(allow_null=True),
    },
)


class EvaluationInput(serializers.Serializer):
    backend = serializers.CharField(required=False, max_length=32, default="auto",
                                    help_text=f"One of {', '.join(BACKENDS)}; must be what the workers run.")
    model = serializers.CharField(required=False, max_length=200, allow_blank=True, default="")
    revision = serializers.CharField(required=False, max_length=100, allow_blank=True, default="")
    prompts = serializers.DictField(child=serializers.CharField(max_length=64, allow_blank=True), required=False,
                                    default=dict, help_text="{label name: prompt}; other labels use their own.")
    prompt_candidates = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=64), max_length=20), required=False,
        default=dict, help_text="Prompt search: {label name: [prompt, ...]} scored in the same pass.")
    only = serializers.ChoiceField(choices=list(rows.ONLY_STATUSES), required=False, default="approved")
    dataset_version = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1_000_000)


def evaluation_get_for_user(*, pk, user, role: str = Role.ANNOTATOR) -> Evaluation:
    evaluation = evaluations_for_project_any().filter(pk=pk).first()
    if evaluation is None:
        raise NotFound()
    require_role(user=user, project_id=evaluation.project_id, role=role)
    return evaluation


class ProjectEvaluationsApi(APIView):
    @extend_schema(responses=inline_serializer("EvaluationPage", {"count": serializers.IntegerField(), "next": serializers.CharField(allow_null=True), "previous": serializers.CharField(allow_null=True), "results": serializers.ListField(child=serializers.DictField())}))
    def get(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(evaluations_for_project(project_id=project.pk), request, view=self)
        return paginator.get_paginated_response([evaluation_to_dict(e) for e in page])

    @extend_schema(request=EvaluationInput, responses={202: EvaluationOutput})
    def post(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        data = EvaluationInput(data=request.data)
        data.is_valid(raise_exception=True)
        options = dict(data.validated_data)
        evaluation = evaluation_create(project=project, user=request.user, dataset=options.pop("dataset_version", None),
                                       **options)
        headers = {"Location": reverse("feedback-evaluation", kwargs={"pk": evaluation.pk})}
        return Response(evaluation_to_dict(evaluation), status=status.HTTP_202_ACCEPTED, headers=headers)


class EvaluationApi(APIView):
    @extend_schema(responses=EvaluationOutput)
    def get(self, request, pk):
        return Response(evaluation_to_dict(evaluation_get_for_user(pk=pk, user=request.user)))


class EvaluationCancelApi(APIView):
    @extend_schema(request=None, responses=EvaluationOutput)
    def post(self, request, pk):
        evaluation = evaluation_get_for_user(pk=pk, user=request.user, role=Role.MANAGER)
        return Response(evaluation_to_dict(evaluation_cancel(evaluation=evaluation)))


class EvaluationResumeApi(APIView):
    @extend_schema(request=None, responses={202: EvaluationOutput})
    def post(self, request, pk):
        evaluation = evaluation_get_for_user(pk=pk, user=request.user, role=Role.MANAGER)
        evaluation = evaluation_resume(evaluation=evaluation)
        return Response(evaluation_to_dict(evaluation), status=status.HTTP_202_ACCEPTED)


class EvaluationPromoteApi(APIView):
    @extend_schema(request=None, responses=dict)
    def post(self, request, pk):
        evaluation = evaluation_get_for_user(pk=pk, user=request.user, role=Role.MANAGER)
        evaluation_promote(evaluation=evaluation, user=request.user)
        return Response({"evaluation": evaluation_to_dict(evaluation),
                         "project_config": project_detector_config(project_id=evaluation.project_id)})


urlpatterns = [
    path("projects/<id:project_id>/evaluations/", ProjectEvaluationsApi.as_view(), name="project-evaluations"),
    path("evaluations/<id:pk>/", EvaluationApi.as_view(), name="feedback-evaluation"),
    path("evaluations/<id:pk>/cancel/", EvaluationCancelApi.as_view(), name="feedback-evaluation-cancel"),
    path("evaluations/<id:pk>/resume/", EvaluationResumeApi.as_view(), name="feedback-evaluation-resume"),
    path("evaluations/<id:pk>/promote/", EvaluationPromoteApi.as_view(), name="feedback-evaluation-promote"),
]
