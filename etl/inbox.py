"""The inbox: the files waiting in it, as `bms load`, the serve watcher, `bms status` and the Data page see them."""

from __future__ import annotations

import stat
from pathlib import Path

from etl.settings import Settings


def inbox_files(settings: Settings) -> list[Path]:
    """Files waiting in the inbox, oldest first; Office lock files and partial downloads are skipped. Links are
    listed (to be refused), never followed."""
    if not settings.inbox.exists():
        return []
    files = []
    for p in settings.inbox.iterdir():
        if p.name.startswith((".", "~$")) or p.name.endswith((".part", ".crdownload", ".tmp")):
            continue
        try:
            st = p.lstat()
        except OSError:  # gone meanwhile
            continue
        if p.is_symlink() or stat.S_ISREG(st.st_mode):
            files.append((st.st_mtime, p.name, p))
    return [p for *_, p in sorted(files)]
