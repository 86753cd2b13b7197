"""Memory an in-process step freed goes back to the system before dbt runs beside the process."""
import gc

import pyarrow as pa

from pipelines.memory import release_unused_memory


def _rss_mb() -> int:
    with open("/proc/self/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) // 1024


def test_freed_arrow_memory_is_returned():
    arrays = [pa.array(["x" * 200 + str(i) for i in range(100_000)]) for _ in range(10)]  # ~200 MB
    assert pa.total_allocated_bytes() > 150 * 2**20
    del arrays
    gc.collect()
    held = _rss_mb()  # mimalloc keeps what Arrow freed
    release_unused_memory()
    assert held - _rss_mb() > 100
