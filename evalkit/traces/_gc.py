"""The cyclic garbage collector paused while a reader makes millions of acyclic objects.

One job. A million traces make several million dicts and lists, none in a reference cycle;
generational collections during the read would walk them again and again, and the first
young-generation pass after it would still walk every one of them once (half a second per
million traces). So the collector is off during the read, and what was made meanwhile is then
counted as old (``gc.freeze()`` + ``gc.unfreeze()``: moved to the oldest generation without
being walked), where it is examined only by the next full collection, as any long-lived data.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic GC in the block; on leaving, objects made in it count as old.

    Nested or already-disabled collectors are left as they were.

    Examples
    --------
    >>> import gc
    >>> with collector_paused():
    ...     rows = [{"i": i} for i in range(100_000)]
    ...     paused = not gc.isenabled()
    >>> paused, gc.isenabled(), gc.get_count()[0] < 1_000
    (True, True, True)
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()  # every tracked object to the permanent generation (no walk) ...
            gc.unfreeze()  # ... and back, into the oldest one
            gc.enable()
