"""The instance secret key (signs CSRF tokens), kept in `<home>/secret_key` with 0600 perms.

Generated on first use rather than configured, so a fresh home is secure without any setup;
created with O_EXCL so that several server workers starting at once agree on one key.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

SECRET_FILE = "secret_key"


def load_or_create_secret(home: Path) -> bytes:
    """Return the home's secret key, creating it (64 random bytes, hex, mode 0600) if absent."""
    path = home / SECRET_FILE
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_existing(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        key = secrets.token_hex(64)
        fh.write(key + "\n")
    return key.encode("ascii")


def _read_existing(path: Path) -> bytes:
    # another worker may have created the file an instant ago and not written it yet
    for _ in range(50):
        key = path.read_text(encoding="ascii").strip()
        if key:
            break
        time.sleep(0.02)
    if len(key) < 32:
        raise RuntimeError(f"{path} is too short to be a secret key; delete it to regenerate")
    return key.encode("ascii")
