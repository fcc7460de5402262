"""How the metrics are computed fast on a large project: SQL counting on a second connection while
Python matches boxes, and the cycle collector held while ~100,000 small tuples come and go."""

import gc
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from django.db import connection

_COUNTING_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="metrics-counting")


class _Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


def _on_own_connection(fn, *args):
    try:
        return fn(*args)
    finally:
        connection.close()  # this thread outlives the request: give the connection back now


def alongside(fn, *args):
    """Start `fn(*args)` on another thread and database connection, so PostgreSQL counts while
    this thread matches boxes in Python; `.result()` waits for it.

    Inside a transaction it runs here instead, at once: another connection would not see the
    transaction's uncommitted rows (tests, or a caller that wrote first).
    """
    if connection.in_atomic_block:
        return _Done(fn(*args))
    return _COUNTING_THREADS.submit(_on_own_connection, fn, *args)


@contextmanager
def cyclic_gc_paused():
    """Hold the cycle collector while ~100,000 small tuples are built and dropped.

    They hold no cycles, yet each allocation burst triggers full generational passes over
    them: half of the load time on a 10k-frame project. Reference counting still frees
    everything; the collector runs again on exit, as before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
