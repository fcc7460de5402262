"""Entry point of the embedded worker process that `inference.supervisor` spawns.

A spawned interpreter imports this module before Django is set up (to find `main`), so it
imports nothing of the project at module level; `main` sets Django up from the environment the
web process passed on, then serves jobs (`inference.worker.child_serve`).
"""


def main(conn) -> None:
    import django
    from django.conf import settings

    django.setup()
    # From this process's side the web process is its channel layer, and this process is a
    # worker: what it sends (broadcasts, re-dispatched jobs) goes up the pipe.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "inference.worker.ParentLayer"}}
    settings.INFERENCE_EXECUTION = "worker"

    from inference.worker import child_serve  # needs the app registry set up above

    child_serve(conn)
