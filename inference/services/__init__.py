"""Detection jobs and the human decisions on their predictions.

Jobs: `job_submit`, `job_run` (`inference.services.jobs`); `job_worker_lost`, `jobs_reap_stale`
(`inference.services.job_recovery`); `JobLost` (`inference.services.job_state`).
Decisions (`inference.services.decisions`): `prediction_accept`, `prediction_reject`,
`predictions_accept_all`, `predictions_reject_all` — all undoable through history.

Websocket messages, sent to `image_group(image_id)` after the write commits (each also
carries `image`, the frame id; `job` dicts are `selectors.job_to_dict`, predictions
`selectors.prediction_to_dict`):

- `detection.started` `{image, job: {...job}}` — a worker picked the job up (again on a retry).
- `detection.result`  `{image, job: id, prompt, index, total, predictions: [...], seconds}` —
  one per prompt, in the job's prompt order, the moment that prompt is stored. `index` is
  0-based; a retried job re-sends the prompts it had already stored, then continues.
- `detection.done`    `{image, job: {...job}, counts: {prompt: n}}` — after the last result.
- `detection.failed`  `{image, job: {...job}, reason}` — the reason is shown to the user.
- `detection.decided` `{image, predictions: [...], user: {id, username}, action}` — AI boxes
  accepted, corrected, rejected, or put back to pending by an undo (`action`: accept, reject,
  undo, redo). The accepted Box itself also goes out as `box.created` (with `prediction`).
  `action: "supersede"`: a new run replaced these still-pending boxes of its prompt (now
  `superseded`; `user`: who ran it), sent just before that prompt's `detection.result`
  (`inference.services.superseding`).
"""

from inference.services.decisions import (
    prediction_accept,
    prediction_reject,
    predictions_accept_all,
    predictions_reject_all,
)
from inference.services.job_recovery import job_worker_lost, jobs_reap_stale
from inference.services.job_state import JobLost
from inference.services.jobs import job_run, job_submit

__all__ = [
    "JobLost",
    "job_run",
    "job_submit",
    "job_worker_lost",
    "jobs_reap_stale",
    "prediction_accept",
    "prediction_reject",
    "predictions_accept_all",
    "predictions_reject_all",
]
