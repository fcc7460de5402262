// One large file in chunks (POST …/uploads/, PUT …/chunks/?offset=, POST …/complete/), so no
// request holds the whole file: Daphne buffers a request's body, and a 177 MB zip in one request
// cost the web process 2.4 GB. A chunk that fails on the network or a 5xx is sent again alone; a
// cancelled or failed upload is deleted on the server. DOM-free: upload.js shows the progress.

/** Files over this many bytes go in chunks (the panel's `data-chunk-over` overrides it, for tests). */
export const CHUNK_OVER = 8 * 1024 * 1024;
/** Bytes per chunk (at most what the server's open answer allows). */
export const CHUNK_BYTES = 4 * 1024 * 1024;
const CHUNK_ATTEMPTS = 3;

/**
 * @param {{http: object, projectId: number, file: Blob, name: string, chunkBytes?: number,
 *   signal: AbortSignal, onProgress: (sent: number) => void, order?: string}} options
 * @returns {Promise<{ok: boolean, status: number, body: any, aborted?: boolean}>} the complete answer
 *   (the same shape as a one-request upload's) or the failure.
 */
export async function sendInChunks({ http, projectId, file, name, chunkBytes = CHUNK_BYTES, signal, onProgress }) {
  const base = `/api/projects/${projectId}/uploads/`;
  const opened = await http.request("POST", base, { body: { name, size: file.size }, retries: 2 });
  if (!opened.ok) return opened;
  const id = opened.body.upload_id;
  const step = Math.max(1, Math.min(chunkBytes, opened.body.chunk_size || chunkBytes));
  const drop = () => http.request("DELETE", `${base}${id}/`);
  let offset = 0;
  while (offset < file.size) {
    const end = Math.min(offset + step, file.size);
    const start = offset;
    let r;
    for (let attempt = 0; attempt < CHUNK_ATTEMPTS; attempt++) {
      r = await http.upload(`${base}${id}/chunks/?offset=${start}`, file.slice(start, end, "application/octet-stream"), {
        method: "PUT",
        signal,
        onProgress: (loaded) => onProgress(start + Math.min(loaded, end - start)),
      });
      if (r.ok || r.aborted || (r.status >= 400 && r.status < 500)) break;
    }
    if (!r.ok) {
      await drop();
      return r;
    }
    offset = r.body.received;
    onProgress(offset);
  }
  if (signal?.aborted) {
    await drop();
    return { ok: false, status: 0, aborted: true, body: { detail: "Cancelled." } };
  }
  return http.request("POST", `${base}${id}/complete/`, { body: {} });
}
