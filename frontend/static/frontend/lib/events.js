// A small typed event bus: the way a page's modules talk to each other.
//
// A page declares its events once, with the payload of each (see contract.js for the
// annotate page), and builds its bus from those names: an event that is not declared
// throws at once instead of being emitted into the void, so a typo in a module name
// shows up in the first test that runs it. One listener that throws does not stop the
// others (it is logged). Pure: no DOM.

/**
 * @template {Record<string, any>} E  event name -> payload type
 * @param {Iterable<keyof E & string>} names  the declared events
 * @param {{onError?: (err: unknown, event: string) => void}} [options]
 */
export function createEvents(names, { onError = (err) => console.error(err) } = {}) {
  const known = new Set(names);
  /** @type {Map<string, Set<Function>>} */
  const listeners = new Map();

  function check(event) {
    if (!known.has(event)) throw new Error(`Unknown event "${event}": declare it in the page's event contract.`);
  }

  return {
    /**
     * Call `fn(payload)` on every `event`; returns the function that stops listening.
     * @template {keyof E & string} K
     * @param {K} event
     * @param {(payload: E[K]) => void} fn
     * @returns {() => void}
     */
    on(event, fn) {
      check(event);
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(fn);
      return () => listeners.get(event).delete(fn);
    },
    /**
     * @template {keyof E & string} K
     * @param {K} event
     * @param {E[K]} [payload]
     */
    emit(event, payload) {
      check(event);
      for (const fn of listeners.get(event) || []) {
        try {
          fn(payload);
        } catch (err) {
          onError(err, event); // one broken listener must not stop the others
        }
      }
    },
    /** Whether `event` is declared (for modules that relay messages by name, like live.js). */
    declares(event) {
      return known.has(event);
    },
  };
}
