"""One BLAS thread (the fits are small; threads only fight the other workers), and the small
sandbox world built once per session into a DuckDB warehouse with the marts the assets read."""
import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from tests.dbt.conftest import duck_warehouse, pg_warehouse  # noqa: E402,F401  (fixtures)
