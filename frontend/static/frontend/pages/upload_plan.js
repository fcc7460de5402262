// Pure rules of the browser upload (no DOM): which files to send, in what order, in which
// requests, and the running totals the progress bars show. Unit-tested with node --test.

import { plural } from "../lib/constants.js";

const DIGITS = /(\d+)/;

/** Compare names so that `frame2` comes before `frame10` (the server's natural_key). */
export function naturalCompare(a, b) {
  const pa = String(a).split(DIGITS);
  const pb = String(b).split(DIGITS);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    // split() alternates text, digits, text…: the same position has the same kind in both.
    if (i % 2 === 1) {
      const d = Number(pa[i]) - Number(pb[i]);
      if (d) return d;
      continue;
    }
    const x = pa[i].toLowerCase();
    const y = pb[i].toLowerCase();
    if (x !== y) return x < y ? -1 : 1;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

const IMAGE_EXT = /\.(jpe?g|png|gif|webp|bmp|tiff?)$/i;

/** "image" | "zip" | "coco" (a COCO .json, sent after the images) | null (not sent; the reason says why). */
export function kindOf(file) {
  const name = file.name || "";
  if (/\.json$/i.test(name) || file.type === "application/json") return { kind: "coco" };
  if (/\.zip$/i.test(name) || file.type === "application/zip" || file.type === "application/x-zip-compressed") return { kind: "zip" };
  if (IMAGE_EXT.test(name) || (file.type || "").startsWith("image/")) return { kind: "image" };
  if (name.startsWith(".")) return { kind: null, reason: "hidden file" };
  return { kind: null, reason: "not an image or a zip" };
}

/**
 * Split what the user dropped into what is sent (natural name order, `path` used when a
 * folder gave one) and what is left out with a reason.
 * @param {Array<{name: string, type?: string, size: number, path?: string}>} files
 */
export function selectFiles(files) {
  const send = [];
  const ignored = [];
  for (const file of files) {
    const { kind, reason } = kindOf(file);
    if (kind) send.push(file);
    else ignored.push({ name: file.path || file.name, reason });
  }
  // Natural name order; COCO files last, so the frames they name are there when they are read.
  const coco = (f) => (kindOf(f).kind === "coco" ? 1 : 0);
  send.sort((a, b) => coco(a) - coco(b) || naturalCompare(a.path || a.name, b.path || b.name));
  return { send, ignored };
}

/**
 * Requests to make: consecutive images share one while it stays under `maxFiles` and
 * `maxBytes`; a zip always goes alone. No request holds the whole batch, and a failed
 * request is retried file by file.
 */
export function planChunks(files, { maxFiles = 16, maxBytes = 8 * 1024 * 1024 } = {}) {
  const chunks = [];
  let current = null;
  for (const file of files) {
    if (kindOf(file).kind === "coco") continue; // posted as JSON once the images are up
    const alone = kindOf(file).kind === "zip" || file.size >= maxBytes;
    if (alone || !current || current.files.length >= maxFiles || current.bytes + file.size > maxBytes) {
      current = { files: [], bytes: 0 };
      chunks.push(current);
    }
    current.files.push(file);
    current.bytes += file.size;
    if (alone) current = null;
  }
  return chunks;
}

/** Bytes sent so far by a chunk, shared out over its files in order (the browser reports per request). */
export function shareProgress(files, loaded) {
  let left = loaded;
  return files.map((file) => {
    const sent = Math.max(0, Math.min(file.size, left));
    left -= sent;
    return sent;
  });
}

/** "3 frames stored · 1 duplicate not added again · 2 skipped" — counts with the right plurals. */
export function summary({ stored = 0, duplicates = 0, skipped = 0, failed = 0 }) {
  const parts = [`${plural(stored, "frame")} stored`];
  if (duplicates) parts.push(`${plural(duplicates, "duplicate")} not added again`);
  if (skipped) parts.push(`${skipped} skipped`);
  if (failed) parts.push(`${failed} failed`);
  return parts.join(" · ");
}
