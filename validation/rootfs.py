"""A minimal root filesystem assembled from files on this machine, written as a tar for `docker import`."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

# `libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)` and the loader's own `/lib64/ld-linux-x86-64.so.2 (0x...)`.
_LDD_LINE = re.compile(r"^\s*(?:\S+\s+=>\s+)?(/\S+)\s+\(0x[0-9a-f]+\)\s*$")


def shared_libraries(program: Path) -> list[Path]:
    """The shared libraries (and the loader) `ldd` says the program loads; [] for a static program."""
    ldd = shutil.which("ldd")
    if ldd is None:
        raise RuntimeError("ldd not found (Debian package libc-bin): needed to find what the programs load")
    done = subprocess.run([ldd, str(program)], capture_output=True, text=True, timeout=30, check=False)
    if "not a dynamic executable" in done.stdout + done.stderr:
        return []
    if done.returncode != 0:
        raise RuntimeError(f"ldd {program} failed: {(done.stderr or done.stdout).strip()}")
    if "not found" in done.stdout:
        missing = [line.strip() for line in done.stdout.splitlines() if "not found" in line]
        raise RuntimeError(f"{program} needs libraries this machine lacks: {'; '.join(missing)}")
    return [Path(m[1]) for line in done.stdout.splitlines() if (m := _LDD_LINE.match(line))]


@dataclass(frozen=True)
class _Entry:
    kind: bytes  # a tarfile type: REGTYPE, DIRTYPE or SYMTYPE
    mode: int
    owner: int
    source: Path | None = None
    data: bytes | None = None
    target: str | None = None


class RootFS:
    """Files, directories and symlinks by their path in the image; `tar()` writes them (parents first)."""

    def __init__(self) -> None:
        self._entries: dict[PurePosixPath, _Entry] = {}
        self._bundled: list[Path] = []

    def directory(self, path: str, mode: int = 0o755, owner: int = 0) -> None:
        at = PurePosixPath(path)
        for parent in reversed(at.parents):
            if parent != PurePosixPath("/") and parent not in self._entries:
                self._entries[parent] = _Entry(tarfile.DIRTYPE, 0o755, 0)
        self._entries[at] = _Entry(tarfile.DIRTYPE, mode, owner)

    def _parents(self, at: PurePosixPath) -> None:
        if at.parent != PurePosixPath("/") and at.parent not in self._entries:
            self.directory(str(at.parent))

    def file(self, path: str, source: Path, mode: int | None = None) -> None:
        at = PurePosixPath(path)
        self._parents(at)
        resolved = source.resolve()
        self._entries[at] = _Entry(
            tarfile.REGTYPE, mode if mode is not None else resolved.stat().st_mode & 0o777, 0, resolved
        )

    def text(self, path: str, content: str, mode: int = 0o644) -> None:
        at = PurePosixPath(path)
        self._parents(at)
        self._entries[at] = _Entry(tarfile.REGTYPE, mode, 0, data=content.encode())

    def symlink(self, path: str, target: str) -> None:
        at = PurePosixPath(path)
        self._parents(at)
        self._entries[at] = _Entry(tarfile.SYMTYPE, 0o777, 0, target=target)

    def tree(self, path: str, source: Path, skip: Callable[[Path], bool] = lambda p: False) -> None:
        """A directory copied recursively (symlinks kept); its libraries are not looked up again."""
        self._bundled.append(source.resolve())
        self.directory(path)
        for item in sorted(source.rglob("*")):
            if skip(item.relative_to(source)):
                continue
            dest = f"{path}/{item.relative_to(source).as_posix()}"
            if item.is_symlink():
                self.symlink(dest, str(item.readlink()))
            elif item.is_dir():
                self.directory(dest)
            else:
                self.file(dest, item)

    def program(self, path: str, source: Path) -> None:
        """An executable plus every shared library it loads, at the same paths as on this machine."""
        self.file(path, source, mode=0o755)
        self.libraries_of([source])

    def libraries_of(self, programs: Iterable[Path]) -> None:
        for program in programs:
            for lib in shared_libraries(program):
                if any(lib.resolve().is_relative_to(b) for b in self._bundled):
                    continue
                # Keep the name the program asks for (e.g. libc.so.6), with the real file's bytes.
                self.file(lib.as_posix(), lib, mode=0o755)

    def tar(self, out: BinaryIO) -> None:
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.GNU_FORMAT) as archive:
            for at in sorted(self._entries, key=lambda p: (len(p.parts), str(p))):
                entry = self._entries[at]
                info = tarfile.TarInfo(str(at).lstrip("/"))
                info.type, info.mode, info.uid, info.gid = entry.kind, entry.mode, entry.owner, entry.owner
                if entry.kind == tarfile.SYMTYPE:
                    info.linkname = entry.target or ""
                    archive.addfile(info)
                elif entry.kind == tarfile.DIRTYPE:
                    archive.addfile(info)
                elif entry.data is not None:
                    info.size = len(entry.data)
                    archive.addfile(info, io.BytesIO(entry.data))
                else:
                    assert entry.source is not None
                    info.size = entry.source.stat().st_size
                    with entry.source.open("rb") as handle:
                        archive.addfile(info, handle)

    def paths(self) -> set[str]:
        return {str(p) for p in self._entries}

    def size(self) -> int:
        """Bytes of file content (what the image layer holds, before compression)."""
        total = 0
        for entry in self._entries.values():
            if entry.data is not None:
                total += len(entry.data)
            elif entry.source is not None:
                total += entry.source.stat().st_size
        return total
