// What the timeline and the ghost of the followed track read: the frames around this one (its
// sequence, in frame order) and the track's boxes on them. The API has no list of a track's
// boxes, so each frame's box list inside the track's span (first_frame … last_frame) is read, at
// most WINDOW frames either side of this one, a few requests at a time, cached for the page
// (several tracks share them). Frames outside the span hold none of its boxes: nothing to ask.

const WINDOW = 25;
const PARALLEL = 4;

/**
 * @param {object} options
 * @param {import("../contract.js").AnnotateApp} options.app
 * @param {number|null} options.sequence   this frame's sequence (from the page)
 */
export function createTrackData({ app, sequence }) {
  const enc = encodeURIComponent;
  const frameBoxes = new Map(); // image id -> Promise<box[]|null>
  let framesPromise = null;

  function frames() {
    framesPromise ??= (async () => {
      const at = Number(app.image.frame_index);
      const low = Math.max(0, at - WINDOW);
      const r = await app.api.all(`/api/projects/${enc(app.projectId)}/images/?frame_index_min=${low}&frame_index_max=${at + WINDOW}&page_size=1000`);
      if (!r.ok) return null;
      // Frames of other sequences (when the server says which) are not this track's.
      return r.items.filter((f) => f.sequence === undefined || f.sequence === sequence).map((f) => ({ id: f.id, frame_index: f.frame_index }));
    })();
    return framesPromise;
  }

  function boxesOf(imageId) {
    if (!frameBoxes.has(imageId)) {
      frameBoxes.set(imageId, app.api.all(app.api.boxesUrl(imageId)).then((r) => (r.ok ? r.items : null)));
    }
    return frameBoxes.get(imageId);
  }

  /** Forget what is cached (after a write the server made on many frames). */
  function invalidate() {
    frameBoxes.clear();
  }

  async function perFrame(track, list) {
    const index = new Map(list.map((f) => [f.id, f.frame_index]));
    const first = index.get(track.first_frame) ?? (track.first_frame == null ? Infinity : -Infinity);
    const last = index.get(track.last_frame) ?? (track.last_frame == null ? -Infinity : Infinity);
    const inside = list.filter((f) => f.frame_index >= first && f.frame_index <= last);
    const out = [];
    for (let i = 0; i < inside.length; i += PARALLEL) {
      const chunk = await Promise.all(inside.slice(i, i + PARALLEL).map((f) => boxesOf(f.id)));
      for (const boxes of chunk) for (const b of boxes || []) if (Number(b.track) === Number(track.id)) out.push(b);
    }
    return out;
  }

  /** {frames, boxes} for `track`, or null when the frames could not be read. */
  async function load(track) {
    const list = await frames();
    if (!list) return null;
    return { frames: list, boxes: await perFrame(track, list) };
  }

  return { load, invalidate, frames };
}
