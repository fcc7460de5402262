// The one HTTP client of every page: fetch with the session cookie, Django's CSRF token,
// JSON both ways, and retries with backoff for reads.
//
// Two ways to call it, one transport:
// - request/get/all resolve {ok, status, body} and never throw (status 0: the network
//   failed). The annotate page uses these: its save queue (pending.js) owns the retries of
//   writes, so it can keep them ordered and visible.
// - getJSON/sendJSON/getAll resolve the body and throw an ApiError otherwise: shorter for
//   the site pages, which show one error line per panel.
//
// No DOM at import time: fetch, the cookie and meta readers and the clock are injectable
// for Node tests.

export class ApiError extends Error {
  /** @param {number} status  @param {object|null} body */
  constructor(status, body) {
    super((body && body.detail) || `Request failed (${status})`);
    this.status = status;
    this.body = body || {};
  }
}

export function csrfFromCookie(cookieString) {
  for (const part of (cookieString || "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(rest.join("="));
  }
  return "";
}

/** Where a signed-out page sends its user: the login form, coming back here afterwards. */
export function loginUrl(loc = globalThis.location) {
  return `/accounts/login/?next=${encodeURIComponent(loc.pathname + loc.search)}`;
}

const defaultCookie = () => (typeof document === "undefined" ? "" : document.cookie);
const defaultMeta = () =>
  typeof document === "undefined" ? "" : document.querySelector('meta[name="csrf-token"]')?.content || "";
const defaultSleep = (ms) => new Promise((r) => setTimeout(r, ms));
const RETRY_BASE_MS = 300;

/** A next-page link (absolute, from DRF) as a same-origin path, so the session cookie goes with it. */
function pathOf(link) {
  const u = new URL(link, "http://x");
  return u.pathname + u.search;
}

/**
 * @typedef {{ok: boolean, status: number, body: any}} Result
 * @param {object} [options]
 * @param {Function} [options.fetchImpl]  fetch (default: the global one, looked up per call)
 * @param {() => string} [options.cookie]  document.cookie, read on every write
 * @param {() => string} [options.meta]  the page's <meta name="csrf-token">, when the cookie has none
 * @param {(ms: number) => Promise<void>} [options.sleep]
 * @param {(result: Result) => void} [options.onUnauthorized]  called on 401 (and a 403 after a
 *   redirect to the login page): the site pages send the user to log in; the annotate page
 *   leaves it to its save queue, which keeps the unsaved work and asks to log in again.
 */
export function createHttp({ fetchImpl = null, xhrImpl = null, cookie = defaultCookie, meta = defaultMeta, sleep = defaultSleep, onUnauthorized = null, base = "/api" } = {}) {
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
    } catch {
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
    const result = { ok: response.ok, status: response.status, body: data };
    if (onUnauthorized && (response.status === 401 || (response.status === 403 && response.redirected))) onUnauthorized(result);
    return result;
  }

  /** One request; `retries` extra attempts on network errors, 5xx and 429 (backoff 300 ms, ×2). */
  async function request(method, url, { body, retries = 0, headers = {} } = {}) {
    let result = await once(method, url, body, headers);
    for (let attempt = 1; attempt <= retries; attempt++) {
      if (!(result.status === 0 || result.status >= 500 || result.status === 429)) break;
      await sleep(RETRY_BASE_MS * 2 ** (attempt - 1));
      result = await once(method, url, body, headers);
    }
    return result;
  }

  const get = (url) => request("GET", url, { retries: 3 });

  /** Every page of a paginated list (or a plain array) as one array: {ok, status, items}. */
  async function all(url) {
    const out = [];
    let next = url;
    while (next) {
      const r = await get(next);
      if (!r.ok) return { ...r, items: out };
      if (Array.isArray(r.body)) return { ...r, items: r.body };
      out.push(...(r.body.results || []));
      next = r.body.next ? pathOf(r.body.next) : null;
    }
    return { ok: true, status: 200, items: out };
  }

  /**
   * POST a FormData (or PUT a Blob: one chunk of a large file) with upload progress (fetch
   * cannot report bytes sent, XMLHttpRequest can).
   * Resolves {ok, status, body} like request(); never throws. Aborting through `signal` resolves
   * {ok: false, status: 0, aborted: true}. No retries: the uploader decides what to send again.
   * @param {string} url
   * @param {FormData|Blob} form
   * @param {{onProgress?: (loaded: number, total: number) => void, signal?: AbortSignal, method?: string}} [options]
   */
  function upload(url, form, { onProgress = null, signal = null, method = "POST" } = {}) {
    const Xhr = xhrImpl || globalThis.XMLHttpRequest;
    return new Promise((resolve) => {
      const xhr = new Xhr();
      const done = (result) => {
        if (onUnauthorized && result.status === 401) onUnauthorized(result);
        resolve(result);
      };
      if (signal?.aborted) return resolve({ ok: false, status: 0, aborted: true, body: { detail: "Cancelled." } });
      xhr.open(method, url.startsWith("/") ? url : `${base}/${url}`);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrfFromCookie(cookie()) || meta());
      xhr.withCredentials = true;
      if (onProgress && xhr.upload) xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
      xhr.onload = () => {
        let body = null;
        try {
          body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          body = { detail: `${xhr.status} ${xhr.statusText || "error"}` };
        }
        done({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, body });
      };
      xhr.onerror = () => done({ ok: false, status: 0, body: { detail: "The network is unreachable." } });
      xhr.onabort = () => done({ ok: false, status: 0, aborted: true, body: { detail: "Cancelled." } });
      signal?.addEventListener("abort", () => xhr.abort(), { once: true });
      xhr.send(form);
    });
  }

  const unwrap = (r) => {
    if (!r.ok) throw new ApiError(r.status, r.body);
    return r.body;
  };

  return {
    request,
    get,
    all,
    upload,
    /** The body of a GET, or throws ApiError. */
    getJSON: async (url) => unwrap(await get(url)),
    /** The body of a write (POST, PUT, PATCH, DELETE), or throws ApiError. */
    sendJSON: async (method, url, body) => unwrap(await request(method, url, { body })),
    /** Every item of a list, or throws ApiError. */
    getAll: async (url) => {
      const r = await all(url);
      if (!r.ok) throw new ApiError(r.status, r.body);
      return r.items;
    },
  };
}

/** The site pages' client: a signed-out user is sent to the login page. */
export const pageHttp = createHttp({
  onUnauthorized: () => typeof window !== "undefined" && window.location.assign(loginUrl(window.location)),
});
