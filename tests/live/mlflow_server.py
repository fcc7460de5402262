"""A real `mlflow server` process (tests and benchmarks): started, stopped and restarted on one port."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

MLFLOW = Path(sys.executable).with_name("mlflow")
OUTBOX_TAG = "hitl.outbox_key"  # tracking.client.OUTBOX_TAG, without importing Django


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MlflowServer:
    """`mlflow server` on `backend_uri` (sqlite or PostgreSQL), one worker, no job runner.

    It runs in its own process group: the CLI starts uvicorn as a child, and stopping only the
    CLI would leave the child serving.
    """

    def __init__(self, *, backend_uri: str, artifact_root: Path, log_dir: Path, port: int | None = None):
        self.backend_uri, self.artifact_root, self.log_dir = backend_uri, artifact_root, log_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 240) -> "MlflowServer":
        return self.launch().wait(timeout)

    def launch(self) -> "MlflowServer":
        """Start the process without waiting for it (start other processes meanwhile, then `wait`)."""
        self.starts += 1
        self.log = self.log_dir / f"mlflow-{self.port}-{self.starts}.log"
        command = [
            str(MLFLOW), "server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
            "--backend-store-uri", self.backend_uri, "--default-artifact-root", str(self.artifact_root),
        ]
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        self.process = subprocess.Popen(command, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        return self

    def wait(self, timeout: float = 240) -> "MlflowServer":
        log = self.log
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {log.read_text()[-3000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer within {timeout} s: {log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):  # whatever of the group is left, uvicorn included
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def runs_by_key(self, experiment: str) -> Counter:
        """How many active runs of `experiment` carry each outbox key, as MLflow's own client sees them."""
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=self.url)
        found = client.get_experiment_by_name(experiment)
        if found is None:
            return Counter()
        runs = client.search_runs([found.experiment_id], max_results=1000)
        return Counter(run.data.tags.get(OUTBOX_TAG) for run in runs)
