"""The MLflow adapter: one experiment per project, one run per outbox key.

MLflow is imported lazily (never at Django start-up), and its HTTP client is told (in settings) to fail
fast: a dead tracking server must cost a flush a second, not minutes of retries.
"""

import math
import time
from pathlib import Path

from django.conf import settings

OUTBOX_TAG = "hitl.outbox_key"
PARAM_MAX = 6000


def experiment_name(*, project_id: int, slug: str) -> str:
    return f"project-{project_id}-{slug}"[:250]


class Tracker:
    """A thin wrapper over `MlflowClient` with the idempotent `run_send`."""

    def __init__(self, tracking_uri: str | None = None):
        from mlflow.tracking import MlflowClient

        self.uri = tracking_uri or settings.MLFLOW_TRACKING_URI
        self.client = MlflowClient(tracking_uri=self.uri)
        self._experiments: dict[str, str] = {}

    def ping(self) -> None:
        """Raise if the tracking store cannot be reached."""
        self.client.search_experiments(max_results=1)

    def experiment_id(self, name: str) -> str:
        if name in self._experiments:
            return self._experiments[name]
        from mlflow.exceptions import MlflowException

        experiment = self.client.get_experiment_by_name(name)
        if experiment is None:
            try:
                experiment_id = self.client.create_experiment(name, artifact_location=self._artifact_location(name))
            except MlflowException:  # created meanwhile by another flusher
                experiment_id = self.client.get_experiment_by_name(name).experiment_id
        else:
            experiment_id = experiment.experiment_id
            if experiment.lifecycle_stage == "deleted":
                self.client.restore_experiment(experiment_id)
        self._experiments[name] = experiment_id
        return experiment_id

    def _artifact_location(self, name: str) -> str | None:
        # A tracking server chooses (and may proxy) its own artifact store; only an embedded
        # store needs one, or MLflow would write into the current directory.
        if self.uri.startswith(("http://", "https://", "databricks")):
            return None
        return (Path(settings.MLFLOW_ARTIFACT_ROOT).resolve() / name).as_uri()

    def run_find(self, *, experiment_id: str, key: str):
        runs = self.client.search_runs([experiment_id], filter_string=f"tags.`{OUTBOX_TAG}` = '{key}'", max_results=10)
        return list(runs)

    def run_send(self, *, key: str, payload: dict) -> str:
        """Create the run of `key` unless a finished one exists; return its id.

        A crash between sending and marking the outbox row leaves a finished run tagged
        with the key: the next flush finds it and sends nothing. A run left half-written
        (crash while logging) is deleted and written again, so nothing is counted twice.
        """
        from mlflow.entities import Metric, Param

        experiment_id = self.experiment_id(payload["experiment"])
        for run in self.run_find(experiment_id=experiment_id, key=key):
            if run.info.status == "FINISHED":
                self.model_register(run_id=run.info.run_id, spec=payload.get("register"))
                return run.info.run_id
            self.client.delete_run(run.info.run_id)
        tags = {k: str(v) for k, v in (payload.get("tags") or {}).items()}
        tags[OUTBOX_TAG] = key
        run = self.client.create_run(
            experiment_id, start_time=payload.get("start_ms"), tags=tags, run_name=payload.get("run_name")
        )
        run_id = run.info.run_id
        now_ms = int(time.time() * 1000)
        params = [Param(k, str(v)[:PARAM_MAX]) for k, v in (payload.get("params") or {}).items() if v is not None]
        metrics = [
            Metric(k, float(v), payload.get("end_ms") or now_ms, 0)
            for k, v in (payload.get("metrics") or {}).items()
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        ]
        for i in range(0, max(len(params), len(metrics)), 100):
            self.client.log_batch(run_id, metrics=metrics[i : i + 100], params=params[i : i + 100])
        for artifact in payload.get("artifacts") or []:
            self.client.log_artifact(run_id, artifact["path"], artifact_path=artifact.get("dir"))
        for name, data in (payload.get("json_artifacts") or {}).items():
            self.client.log_dict(run_id, data, name)
        self.client.set_terminated(run_id, "FINISHED", end_time=payload.get("end_ms") or now_ms)
        self.model_register(run_id=run_id, spec=payload.get("register"))
        return run_id

    def model_register(self, *, run_id: str, spec: dict | None) -> str | None:
        """Make the run's `spec["artifact_path"]` a version of the registered model `spec["name"]`
        (created if missing), tagged with `spec["tags"]`; once per run, so a repeated send adds none."""
        if not spec:
            return None
        from mlflow.exceptions import MlflowException

        name = spec["name"]
        if not self.client.search_registered_models(filter_string=f"name = '{name}'"):
            try:
                self.client.create_registered_model(name, description=spec.get("description"))
            except MlflowException:  # registered meanwhile by another flusher
                pass
        for version in self.client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'"):
            return version.version
        source = f"{self.client.get_run(run_id).info.artifact_uri}/{spec.get('artifact_path', 'model')}"
        tags = {k: str(v) for k, v in (spec.get("tags") or {}).items() if v is not None}
        return self.client.create_model_version(name, source, run_id=run_id, tags=tags).version
