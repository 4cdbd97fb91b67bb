"""Reading a guest's file system from a root path, never changing it.

A probe reads ``/etc/pam.d/sudo`` as ``root / "etc/pam.d/sudo"``: the real ``/`` inside a
WorkSpace, a mounted golden image, or a tree built by the tests. Symbolic links are
followed *inside* the root (as ``chroot`` would): an absolute link target such as
``/usr/lib64`` is looked up under the root, never on the machine running the probe, and
``..`` never climbs above the root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import EnvironmentProblem

MAX_LINKS = 40


@dataclass(frozen=True)
class RootFS:
    """A guest file system seen from the machine running the probes."""

    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike = "/") -> "RootFS":
        path = Path(root).expanduser()
        if not path.is_dir():
            raise EnvironmentProblem(
                f"the guest root {path} is not a readable directory: point [guest].root at the "
                "root of the WorkSpace's file system (/ inside the WorkSpace, or a mounted image)"
            )
        return cls(path.resolve())

    @property
    def is_live(self) -> bool:
        """True when the root is this machine's own ``/`` (the probes run inside the guest)."""
        return self.root == Path("/")

    def host_path(self, guest_path: str | PurePosixPath, *, follow: bool = True) -> Path:
        """The path on this machine of an absolute guest path, symbolic links resolved
        inside the root. The result may not exist."""
        parts = [p for p in PurePosixPath("/", str(guest_path)).parts[1:]]
        resolved: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = self.root.joinpath(*resolved, part)
            if (follow or parts) and candidate.is_symlink():
                hops += 1
                if hops > MAX_LINKS:
                    break
                target = os.readlink(candidate)
                tparts = list(PurePosixPath(target).parts)
                if target.startswith("/"):
                    resolved = []
                    tparts = tparts[1:]
                parts = tparts + parts
                continue
            resolved.append(part)
        return self.root.joinpath(*resolved)

    def guest_path(self, host_path: Path) -> str:
        """The guest's name for a path under the root."""
        rel = Path(host_path).relative_to(self.root)
        return "/" + rel.as_posix() if str(rel) != "." else "/"

    def exists(self, guest_path: str) -> bool:
        return self.host_path(guest_path).exists()

    def is_file(self, guest_path: str) -> bool:
        return self.host_path(guest_path).is_file()

    def is_dir(self, guest_path: str) -> bool:
        return self.host_path(guest_path).is_dir()

    def read_text(self, guest_path: str) -> str | None:
        """The text of a file, or None when it does not exist. Unreadable files are an
        environment problem (the probe cannot judge)."""
        path = self.host_path(guest_path)
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            return None
        except PermissionError:
            raise EnvironmentProblem(
                f"cannot read {guest_path} (permission denied): run the probe as a user who can "
                "read it (root for /etc files of another user)"
            ) from None

    def listdir(self, guest_path: str) -> list[str]:
        path = self.host_path(guest_path)
        try:
            return sorted(os.listdir(path))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except PermissionError:
            raise EnvironmentProblem(f"cannot list {guest_path} (permission denied)") from None

    def mtime(self, guest_path: str) -> float | None:
        try:
            return self.host_path(guest_path).stat().st_mtime
        except OSError:
            return None
