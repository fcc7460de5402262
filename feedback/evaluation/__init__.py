"""Evaluations: a detector configuration (backend, model, revision, prompt per label) scored on
human-verified frames with the COCO protocol, logged as one MLflow run.

`scoring` is pure (COCO dicts in, figures out); the rest submits one detection job per frame
through `inference.services.job_submit`, so the frames run wherever detection jobs run.
"""
