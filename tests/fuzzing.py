"""Schemathesis against the project's own OpenAPI schema (`/api/schema/`), in process over WSGI.

The fuzzer is a project manager (token) on a seeded project with labels, frames, a box, a
finished detection job and its prediction, so generated requests reach real code rather than
the 404 of an id that does not exist: each operation draws half its cases with the seeded ids
in the path and half with generated ones, half of each schema-valid (positive) and half not
(negative). Every operation runs inside a savepoint that is rolled back, so each one starts
from the same seeded world (a DELETE of the project does not starve the operations after it).

Checks: `not_a_server_error` and `status_code_conformance` (every status answered is declared).
Shared by tests/test_api_fuzz.py (short, fixed seed) and bench/fuzz.py (longer).
"""

import contextlib
import dataclasses
import re

import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import status_code_conformance

from annotations.models import ImageStatus, Role
from feedback.evaluation.models import Evaluation
from inference.models import DetectionJob, JobStatus, Prediction
from tests.factories import BoxFactory, ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

CHECKS = [not_a_server_error, status_code_conformance]
PARAM = re.compile(r"{(\w+)}")
# The path's first segment names what a bare `{id}` is; `{x_id}` names itself.
KINDS = {"projects": "project", "images": "image", "boxes": "box", "labels": "label", "jobs": "job",
         "predictions": "prediction", "datasets": "dataset", "members": "user", "evaluations": "evaluation"}


@dataclasses.dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    server_errors: list = dataclasses.field(default_factory=list)
    failures: list = dataclasses.field(default_factory=list)

    def record(self, case, response, error: Exception | None) -> None:
        self.cases += 1
        where = f"{case.method} {case.formatted_path} -> {response.status_code}"
        if response.status_code >= 500:
            self.server_errors.append(where)
        if error is not None:
            failures = error.exceptions if isinstance(error, FailureGroup) else [error]
            self.failures += [f"{where}: {getattr(failure, 'title', failure)}" for failure in failures]


def seed_world() -> dict:
    """A project a manager works in, with something behind every id kind; returns ids and the auth header."""
    manager = UserFactory(username="fuzz-manager")
    project = ProjectFactory(created_by=manager)
    MembershipFactory(project=project, user=manager, role=Role.MANAGER)
    annotator = UserFactory(username="fuzz-annotator")
    MembershipFactory(project=project, user=annotator, role=Role.ANNOTATOR)
    label = LabelFactory(project=project, name="person")
    LabelFactory(project=project, name="car")
    frame = ImageFactory(project=project, width=64, height=48)
    ImageFactory(project=project, status=ImageStatus.SUBMITTED, submitted_by=annotator)
    box = BoxFactory(image=frame, label=label, created_by=annotator, updated_by=annotator)
    job = DetectionJob.objects.create(image=frame, prompts=["person"], status=JobStatus.DONE, backend="memory")
    prediction = Prediction.objects.create(
        job=job, image=frame, label=label, prompt="person", x_min=1, y_min=1, x_max=20, y_max=20, score=0.9
    )
    evaluation = Evaluation.objects.create(project=project, backend="opencv", prompts={"person": "person"})
    ids = {"evaluation": evaluation.pk, "project": project.pk, "image": frame.pk, "box": box.pk, "label": label.pk, "job": job.pk,
           "prediction": prediction.pk, "dataset": 1, "user": annotator.pk}
    token = Token.objects.create(user=manager)
    return {"ids": ids, "headers": {"Authorization": f"Token {token.key}"}}


def seeded_path_parameters(path: str, ids: dict) -> dict:
    """Seeded ids for the path's parameters (an id kind with nothing seeded stays generated)."""
    segment = path.strip("/").split("/")[1]  # "api/<segment>/..."
    kinds = {name: KINDS.get(segment) if name == "id" else name.removesuffix("_id") for name in PARAM.findall(path)}
    return {name: ids[kind] for name, kind in kinds.items() if kind in ids}


@contextlib.contextmanager
def in_process_requests():
    """Requests share the test's connection and transaction (as Django's test client arranges it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _strategy(operation, ids: dict):
    seeded = seeded_path_parameters(operation.path, ids)
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(generation_mode=mode, path_parameters=seeded) for mode in modes]
    if seeded:
        strategies += [operation.as_strategy(generation_mode=mode) for mode in modes]
    return st.one_of(strategies)


def _fuzz_operation(operation, world: dict, *, max_examples: int, seed: int, tally: Tally) -> None:
    @hypothesis_seed(seed)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # count and report every failure rather than shrink the first one
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, world["ids"]))
    def run(case):
        response = case.call(headers=world["headers"])
        try:
            case.validate_response(response, checks=CHECKS, headers=world["headers"])
        except (FailureGroup, AssertionError) as error:  # a FailureGroup holds one failure per failed check
            tally.record(case, response, error)
        else:
            tally.record(case, response, None)

    run()


def fuzz(*, max_examples: int, seed: int, only: str | None = None) -> Tally:
    """Fuzz every operation (or those whose path contains `only`) on a freshly seeded world; needs a database."""
    tally = Tally()
    with in_process_requests():
        world = seed_world()
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
        for result in schema.get_all_operations():
            operation = result.ok()
            if only and only not in operation.path:
                continue
            tally.operations += 1
            with transaction.atomic():
                _fuzz_operation(operation, world, max_examples=max_examples, seed=seed, tally=tally)
                transaction.set_rollback(True)
    return tally
