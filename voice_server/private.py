"""The server's own files: only its user may read them, and only one server may use them.

The database and its journals hold phones, e-mails and code hashes, the prompt cache says what
alerts were raised: their modes never depend on the umask the service happens to run with. The
database's lock file, held with ``flock`` for the process's life, keeps a second server off it
(the kernel lets it go when the process dies, even by ``kill -9``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "DatabaseInUseError",
    "hold_lock",
    "private_dir",
    "private_file",
]

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(folder: Path) -> None:
    """Create ``folder`` and its missing parents 0700; a folder that exists is left as it is.

    An existing folder (``/var/lib``, a home directory) is the administrator's, not the server's.
    """
    missing = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    for created in reversed(missing):
        with contextlib.suppress(FileExistsError):
            created.mkdir(mode=PRIVATE_DIR)
        created.chmod(PRIVATE_DIR)  # mkdir's mode went through the umask


def private_file(path: Path) -> None:
    """Create ``path`` 0600 if missing, and make it 0600 if it was not."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    os.close(fd)
    path.chmod(PRIVATE_FILE)


class DatabaseInUseError(RuntimeError):
    """Another voice server holds the database: two would call every contact twice."""


def hold_lock(lock_path: Path) -> IO[bytes]:
    """Lock ``lock_path`` (created 0600) exclusively; close the handle to let it go.

    Raises DatabaseInUseError at once, rather than waiting, when another process holds it.
    """
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    handle = os.fdopen(fd, "r+b")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DatabaseInUseError(
            "another voice server is using this database (its .lock file is held)"
        ) from None
    return handle
