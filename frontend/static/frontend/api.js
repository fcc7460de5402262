// The REST client: fetch with the session cookie, Django's CSRF token, JSON both
// ways, and retry with backoff for reads. It never throws: every call resolves
// {ok, status, body}, status 0 meaning the network failed. Writes are not retried
// here: the pending-save queue (pending.js) owns their retries, so it can keep
// them ordered and visible.
//
// No DOM at import time: the cookie and meta readers are injectable for Node tests.

export function csrfFromCookie(cookieString) {
  for (const part of (cookieString || "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(rest.join("="));
  }
  return "";
}

const defaultCookie = () => (typeof document === "undefined" ? "" : document.cookie);
const defaultMeta = () =>
  typeof document === "undefined" ? "" : document.querySelector('meta[name="csrf-token"]')?.content || "";
const defaultSleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function createApi({ fetchImpl = null, cookie = defaultCookie, meta = defaultMeta, sleep = defaultSleep, base = "/api" } = {}) {
  const doFetch = fetchImpl || ((...a) => globalThis.fetch(...a));

  async function once(method, url, body, extraHeaders) {
    const headers = { Accept: "application/json", ...extraHeaders };
    if (method !== "GET" && method !== "HEAD") {
      // Read the cookie on every write: logging in again (another tab) rotates the token.
      headers["X-CSRFToken"] = csrfFromCookie(cookie()) || meta();
    }
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await doFetch(url.startsWith("/") ? url : `${base}/${url}`, init);
    } catch (err) {
      return { ok: false, status: 0, body: { detail: "The network is unreachable." } };
    }
    let data = null;
    const text = await response.text().catch(() => "");
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { detail: `${response.status} ${response.statusText || "error"}` };
      }
    }
    return { ok: response.ok, status: response.status, body: data };
  }

  /** One request; `retries` extra attempts on network errors, 5xx and 429 (backoff 300 ms, ×2). */
  async function request(method, url, { body, retries = 0, headers = {} } = {}) {
    let result = await once(method, url, body, headers);
    for (let attempt = 1; attempt <= retries; attempt++) {
      if (!(result.status === 0 || result.status >= 500 || result.status === 429)) break;
      await sleep(300 * 2 ** (attempt - 1));
      result = await once(method, url, body, headers);
    }
    return result;
  }

  const get = (url) => request("GET", url, { retries: 3 });
  const enc = encodeURIComponent;

  return {
    request,
    get,
    /** Every page of a paginated list (or a plain array) as one array. */
    async all(url) {
      const out = [];
      let next = url;
      while (next) {
        const r = await get(next);
        if (!r.ok) return { ...r, body: r.body, items: out };
        if (Array.isArray(r.body)) return { ...r, items: r.body };
        out.push(...(r.body.results || []));
        next = r.body.next ? new URL(r.body.next, "http://x").pathname + new URL(r.body.next, "http://x").search : null;
      }
      return { ok: true, status: 200, items: out };
    },
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
