"""What a TOML file holds, kept as JSON so that the next run need not parse it again.

tomllib parses in pure Python, slowly enough to show in `tracker list` and a check's
start; json parses in C (decision record 7). The copies live in the user's cache folder
and are used while the file's bytes stay the same (same size, CRC-32 and Adler-32; not
its mtime, which two edits within the timestamp granularity share), and only while that
folder is owned by the user with no group or other access (0700): no other user can
poison the cache.
"""

import json
import os
import stat
import zlib
from collections.abc import Callable
from pathlib import Path

KEPT = 32  # copies kept per kind, the latest: benchmarks make a watchlist in every temporary folder


def parsed(kind: str, path: Path, raw: bytes, parse: Callable[[bytes], dict],
           keep: Callable[[str], bool] = lambda encoded: True) -> dict:
    """parse(raw), the bytes of the file at path, or its copy from an earlier run; a new copy
    is kept only if JSON can hold it and keep(its JSON) says so."""
    where = str(path.resolve())
    stamp = [where, len(raw), zlib.crc32(raw), zlib.adler32(raw)]
    folder = _folder()
    copy = folder / f"{kind}-{zlib.crc32(os.fsencode(where)):08x}.json" if folder else None
    found = _read_private(copy) if copy else None
    if found is not None and found.get("stamp") == stamp and isinstance(found.get("data"), dict):
        return found["data"]
    data = parse(raw)
    if copy:
        try:
            encoded = json.dumps(data)
        except (TypeError, ValueError):  # TOML datetimes are not JSON-serializable
            return data
        if keep(encoded):
            _write_private(copy, f'{{"stamp": {json.dumps(stamp)}, "data": {encoded}}}'.encode())
            _prune(copy.parent, kind)
    return data


def _prune(folder: Path, kind: str) -> None:
    try:
        found = sorted(folder.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in found[KEPT:]:
            stale.unlink()
    except OSError:  # another run pruned it first
        pass


def _folder() -> Path | None:
    """$XDG_CACHE_HOME/pledge-tracker, else ~/.cache/pledge-tracker; made only where a home exists,
    and used only while it is owned by the user, with no group or other access (0700)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    home = os.path.dirname(base)
    if not os.path.isabs(base) or home == "/" or not os.path.isdir(home):
        return None
    folder = os.path.join(base, "pledge-tracker")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return Path(folder)


def _read_private(path: Path) -> dict | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:  # missing, or a symlink (O_NOFOLLOW)
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with open(fd, "rb", closefd=False) as handle:
            found = json.loads(handle.read())
    except (OSError, ValueError):  # damaged: parsed again
        return None
    finally:
        os.close(fd)
    return found if isinstance(found, dict) else None


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read, atomically (two runs may write it at once); no copy
    this time if that cannot be done."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.unlink(missing_ok=True)  # left by a killed run that had this pid
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
