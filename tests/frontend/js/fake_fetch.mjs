// A scripted fetch for the HTTP client's tests: each call takes the next answer
// ({status, body, redirected} or "down" for a network error) and is recorded in `.calls`.
export function fakeFetch(responses) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push({ url, ...init });
    const r = responses.shift();
    if (r === "down") throw new TypeError("Failed to fetch");
    const text = r.body === undefined ? "" : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
    return { ok: r.status < 300, status: r.status, statusText: "", redirected: !!r.redirected, text: async () => text };
  };
  fn.calls = calls;
  return fn;
}
