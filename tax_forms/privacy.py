"""Files that hold taxpayer numbers are created owner-only from the first byte.

Creating the file with mode 0o600 (instead of chmod after writing) leaves no moment in which
another local user could read a TIN. An existing file is re-permissioned before it is truncated.
"""
from __future__ import annotations

import os
from pathlib import Path

PRIVATE_MODE = 0o600


def write_private(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write `data` (str is UTF-8 encoded) to `path` readable and writable by the owner only."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)  # the umask or an older file must not widen it
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(payload)
    finally:
        if fd != -1:
            os.close(fd)
    return target
