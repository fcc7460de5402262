// A failed form request as one line for the panel's error slot (pure).

function flatten(value) {
  if (Array.isArray(value)) return value.map(flatten).filter(Boolean).join(" ");
  if (value && typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${flatten(v)}`).join("; ");
  return value === null || value === undefined ? "" : String(value);
}

/** "name: must be unique" lines from a DRF 400 body (nested lists flattened), else its detail. */
export function fieldErrors(error) {
  const body = error.body || {};
  const parts = Object.entries(body)
    .filter(([key]) => key !== "detail")
    .map(([key, value]) => `${key}: ${flatten(value)}`);
  return parts.length ? parts.join("; ") : error.message;
}
