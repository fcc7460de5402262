// What the timeline and the ghosts read: the frames around this one (its sequence, in frame
// order) and the boxes of tracks on them. The API has no list of a track's boxes, so each
// frame's box list is read, at most WINDOW frames either side of this one, a few requests at a
// time, once per page (every track shares them; a write on many frames clears them).

const WINDOW = 15;
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
      // Frames of other sequences (when the server says which) are not this one's tracks'.
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

  /** Forget the boxes read (after a write the server made on many frames). */
  function invalidate() {
    frameBoxes.clear();
  }

  /** {frames, boxes: every live box of a track on the other frames}, or null when the frames could not be read. */
  async function load() {
    const list = await frames();
    if (!list) return null;
    const others = list.filter((f) => f.id !== Number(app.imageId));
    const boxes = [];
    for (let i = 0; i < others.length; i += PARALLEL) {
      const chunk = await Promise.all(others.slice(i, i + PARALLEL).map((f) => boxesOf(f.id)));
      for (const found of chunk) for (const b of found || []) if (b.track != null && !b.deleted) boxes.push(b);
    }
    return { frames: list, boxes };
  }

  return { load, invalidate };
}
