// The track endpoints (DESIGN.md's contract), on the page's HTTP client: every call resolves
// {ok, status, body} and never throws. Writes are not retried (the user sees the answer and
// presses again; the server's history keeps each one a single undo step).

const enc = encodeURIComponent;

/** @param {ReturnType<import("../api.js").createApi>} api */
export function createTrackApi(api) {
  const post = (url, body) => api.request("POST", url, body === undefined ? {} : { body });
  return {
    list: (projectId) => api.all(`/api/projects/${enc(projectId)}/tracks/?page_size=1000`),
    get: (trackId) => api.get(`/api/tracks/${enc(trackId)}/`),
    /** 201 {image: next frame's id, boxes: [...]}. */
    copyForward: (imageId, boxes) => post(`/api/images/${enc(imageId)}/copy-forward/`, { boxes }),
    /** 200 {boxes: [...written...]}. */
    interpolate: (trackId) => post(`/api/tracks/${enc(trackId)}/interpolate/`),
    /** The object left the view: the track has no box after this frame. */
    end: (trackId, imageId) => post(`/api/tracks/${enc(trackId)}/end/`, { image: imageId }),
    /** 202 with a job of kind "propagate". */
    propagate: (trackId, fromImage, frames) => post(`/api/tracks/${enc(trackId)}/propagate/`, { from_image: fromImage, frames }),
    cancel: (jobId) => post(`/api/jobs/${enc(jobId)}/cancel/`),
  };
}
