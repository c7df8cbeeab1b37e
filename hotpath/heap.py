"""The garbage collector in a long-running process (agent web and worker, both simulators, Locust).

Each guest message allocates a few hundred short-lived objects, freed by reference counts. Python's default
thresholds (700, 10, 10) spent ~0.05 ms of GC per guest message in the WhatsApp simulator, (10_000, 10, 10) ~0.01 ms.
And a process holds ~100,000 objects after startup (frameworks, app, pools) that every full collection walked:
`gc_collect_main` was 14% of the agent web process's py-spy samples at 120 guest messages/s before they were frozen.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (10_000, 10, 10)


def settle_heap() -> None:
    """Call when startup is done: collect young objects less often, collect once, then freeze what is alive.

    Frozen objects (`gc.freeze`) are never collected, so the garbage made so far is collected first; objects
    made later are collected as usual.
    """
    gc.set_threshold(*GC_THRESHOLDS)
    gc.collect()
    gc.freeze()
