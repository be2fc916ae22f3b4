"""What a long-running process (a server's worker, the background worker) does once it has
loaded what it keeps for its whole life."""

from __future__ import annotations

import gc


def freeze_loaded_objects() -> None:
    """Move every object alive now (modules, Django's apps and models, the kept reference data)
    out of the cyclic garbage collector's sight. They live as long as the process anyway; a full
    collection no longer walks them (the server's ~190,000: about 95 ms with the whole process
    stalled), forks keep sharing their pages, and an allocation-heavy task (a calendar
    recompute's chunk, thousands of events) spends about a tenth less on collections."""
    gc.collect()
    gc.freeze()
