// Small fetch wrapper for the site pages: JSON in and out, the session's CSRF token, errors as ApiError.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `Request failed (${status})`);
    this.status = status;
    this.body = body || {};
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function request(method, url, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET") init.headers["X-CSRFToken"] = csrfToken();
  const response = await fetch(url, init);
  if (response.status === 401 || (response.status === 403 && response.redirected)) {
    window.location.assign(`/accounts/login/?next=${encodeURIComponent(window.location.pathname)}`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const getJSON = (url) => request("GET", url);
export const postJSON = (url, body) => request("POST", url, body);

/** Every page of a paginated list endpoint (`{count, next, results}`), or a plain list as is. */
export async function getAll(url) {
  let data = await getJSON(url);
  if (Array.isArray(data)) return data;
  const results = [...data.results];
  while (data.next) {
    data = await getJSON(data.next);
    results.push(...data.results);
  }
  return results;
}
