// What the timeline and the ghosts read: the frames around this one (its sequence, in frame
// order, at most WINDOW either side) and the boxes of tracks on them.
//
// - The followed track's boxes come in one request, GET /api/tracks/{id}/boxes/ (every live box
//   of the track, in frame order): the timeline strip draws from it.
// - The ghosts need every track of the sequence around this frame. A sequence with fewer tracks
//   than frames around is read track by track (that endpoint again, the followed track's read
//   shared); a crowded one frame by frame (each frame's box list): whichever makes fewer requests,
//   a few at a time.
// Reads are kept for the page (a write on many frames clears them: invalidate()).

const WINDOW = 15;
const PARALLEL = 4;

/**
 * @param {object} options
 * @param {import("../contract.js").AnnotateApp} options.app
 * @param {number|null} options.sequence   this frame's sequence (from the page)
 */
export function createTrackData({ app, sequence }) {
  const enc = encodeURIComponent;
  const reads = new Map(); // url -> Promise<box[]|null>
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

  function read(url) {
    if (!reads.has(url)) reads.set(url, app.api.all(url).then((r) => (r.ok ? r.items : null)));
    return reads.get(url);
  }

  /** Every live box of a track, in frame order (null when it could not be read). */
  const trackBoxes = (trackId) => read(`/api/tracks/${enc(trackId)}/boxes/?page_size=10000`);

  async function inChunks(items, fetch) {
    const found = [];
    for (let i = 0; i < items.length; i += PARALLEL) found.push(...(await Promise.all(items.slice(i, i + PARALLEL).map(fetch))));
    return found;
  }

  /** Forget the boxes read (after a write the server made on many frames). */
  function invalidate() {
    reads.clear();
  }

  /**
   * {frames, followed: {track, boxes} of the followed track (null: none followed, or unreadable), boxes: every
   * live box of a track on the other frames around}, or null when the frames could not be read.
   */
  async function load(followed = null) {
    const list = await frames();
    if (!list) return null;
    const here = Number(app.imageId);
    const around = new Set(list.map((f) => f.id).filter((id) => id !== here));
    const tracks = app.store.tracks().filter((t) => t.sequence === sequence && t.box_count !== 0).map((t) => t.id);
    if (followed !== null && !tracks.includes(followed)) tracks.push(followed);
    const perTrack = tracks.length <= around.size;
    const lists = perTrack
      ? await inChunks(tracks, trackBoxes)
      : await inChunks([...around], (id) => read(app.api.boxesUrl(id)));
    const boxes = [];
    for (const found of lists) for (const b of found || []) if (b.track != null && !b.deleted && around.has(Number(b.image))) boxes.push(b);
    const mine = followed === null ? null : await trackBoxes(followed); // per track: read already
    return { frames: list, followed: mine && { track: followed, boxes: mine }, boxes };
  }

  return { load, invalidate, trackBoxes };
}
