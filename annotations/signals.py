"""Signals for the apps above `annotations` (it never imports them).

`box_changed(sender=Box, box=..., user=...)` — a live box's label or geometry was changed by an
edit, an undo or a redo; sent inside the write's transaction, after the row is saved, so a
receiver's writes commit or roll back with it. `inference` uses it to mark an accepted AI box
`corrected` once a human moves it (and `accepted` again when that is undone).
"""

from django.dispatch import Signal

box_changed = Signal()
