// The annotate page's endpoints, on the one HTTP client (lib/http.js): every call
// resolves {ok, status, body} and never throws. Writes are not retried here: the
// pending-save queue (pending.js) owns their retries, so it can keep them ordered and
// visible; reads retry with backoff.

import { createHttp } from "./lib/http.js";

/** Options as lib/http.js's createHttp (fetchImpl, cookie, meta, sleep: injectable for Node tests). */
export function createApi(options = {}) {
  const http = createHttp(options);
  const { request, get } = http;
  const enc = encodeURIComponent;

  return {
    ...http,
    image: (id) => get(`/api/images/${enc(id)}/`),
    imageFileUrl: (id) => `/api/images/${enc(id)}/file/`,
    project: (id) => get(`/api/projects/${enc(id)}/`),
    labelsUrl: (projectId) => `/api/projects/${enc(projectId)}/labels/?page_size=1000`,
    boxesUrl: (imageId) => `/api/images/${enc(imageId)}/boxes/?page_size=10000`,
    findFrame: (projectId, frameIndex) =>
      get(`/api/projects/${enc(projectId)}/images/?frame_index_min=${enc(frameIndex)}&frame_index_max=${enc(frameIndex)}&page_size=10`),
    /** `key`: the Idempotency-Key, the same on every retry of one create, so a lost 201 never makes a twin. */
    createBox: (imageId, data, key) =>
      request("POST", `/api/images/${enc(imageId)}/boxes/`, { body: data, headers: key ? { "Idempotency-Key": key } : {} }),
    updateBox: (id, data) => request("PATCH", `/api/boxes/${enc(id)}/`, { body: data }),
    deleteBox: (id, version) => request("DELETE", `/api/boxes/${enc(id)}/?version=${enc(version)}`),
    undo: (imageId) => request("POST", `/api/images/${enc(imageId)}/undo/`),
    redo: (imageId) => request("POST", `/api/images/${enc(imageId)}/redo/`),
    feedback: (imageId) => get(`/api/images/${enc(imageId)}/feedback/`),
    setFeedback: (imageId, rating) =>
      rating === null
        ? request("DELETE", `/api/images/${enc(imageId)}/feedback/`)
        : request("PUT", `/api/images/${enc(imageId)}/feedback/`, { body: { rating } }),
  };
}
