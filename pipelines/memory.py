"""Hand memory that earlier steps of an in-process run freed back to the operating system.

pyarrow allocates through mimalloc, which keeps freed memory for reuse instead of returning it:
after the large world's ingestion (Arrow batches into the landing) the Dagster process still held
it while `dbt build` ran beside it, and the two together passed issue 9's 2 GB peak (28 Nov: demo
process 854 MB + dbt 1,202 MB). glibc's malloc keeps freed heap the same way until trimmed.
"""
from __future__ import annotations

import ctypes
import gc


def release_unused_memory() -> None:
    gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:
        pass
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
