"""Statsmodels fits tiny matrices: BLAS threads only fight the other workers for the 2 cores
(measured 4x slower under load), so tests pin them to one unless the caller chose otherwise."""
import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
