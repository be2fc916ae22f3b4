"""The backup archive: a plain tar file holding

    database.sqlite3 | database.pgdump   the database (SQLite copy, or pg_dump custom format)
    media/...                           the uploaded files (MEDIA_ROOT, staging folder left out)
    manifest.json                       what is in it, with the SHA-256 of every other member
    manifest.json.sha256                the SHA-256 of manifest.json

The manifest comes last (it knows every member's checksum). A restore reads it, then checks every
member against it into a staging folder before it changes anything."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import time
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import IO, Any

from liandong.operations.database import OperationFailed

FORMAT = 1
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.json.sha256"
MEDIA = "media/"
_BUFFER = 1024 * 1024


class _Hashing:
    """A file object that hashes what is read through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_BUFFER):
            digest.update(chunk)
    return digest.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(time.time())
    tar.addfile(info, BytesIO(data))


def write(out: Path, members: list[tuple[Path, str]], manifest: dict[str, Any]) -> dict[str, str]:
    """Write the archive to `out` (whole or not at all: a partial file is renamed into place
    only when complete). Returns {member: sha256}, also put in the manifest as "files"."""
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    hashes: dict[str, str] = {}
    try:
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            for path, name in members:
                info = tar.gettarinfo(path, arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                with open(path, "rb") as handle:
                    reader = _Hashing(handle)
                    tar.addfile(info, reader)  # type: ignore[arg-type]
                hashes[name] = reader.digest.hexdigest()
            body = dict(manifest, files=hashes)
            text = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True).encode()
            _add_bytes(tar, MANIFEST, text)
            _add_bytes(tar, MANIFEST_SUM, (hashlib.sha256(text).hexdigest() + "\n").encode())
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return hashes


def _broken(path: Path, why: str) -> OperationFailed:
    return OperationFailed(f"备份文件 {path} 已损坏或不是联动的备份（{why}），未做任何改动。")


def _member_bytes(tar: tarfile.TarFile, name: str) -> bytes:
    handle = tar.extractfile(name)
    if handle is None:
        raise KeyError(name)
    return handle.read()


def read_manifest(path: Path) -> dict[str, Any]:
    """The archive's manifest, after checking it against its own checksum."""
    try:
        with tarfile.open(path, "r:") as tar:
            text = _member_bytes(tar, MANIFEST)
            expected = _member_bytes(tar, MANIFEST_SUM).decode("ascii", "replace").strip()
    except FileNotFoundError:
        raise OperationFailed(f"找不到备份文件 {path}。") from None
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise _broken(path, f"读不出清单：{exc}") from None
    if hashlib.sha256(text).hexdigest() != expected:
        raise _broken(path, "清单的校验和不符")
    try:
        manifest = json.loads(text)
    except ValueError:
        raise _broken(path, "清单不是有效的 JSON") from None
    if manifest.get("format") != FORMAT:
        raise OperationFailed(
            f"备份文件 {path} 的格式版本是 {manifest.get('format')}，本程序只认 {FORMAT}。"
        )
    return dict(manifest)


def _safe(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\\" not in name


def verify_and_stage(path: Path, manifest: dict[str, Any], staging: Path) -> dict[str, Path]:
    """Check every member of the archive against the manifest while copying it into `staging`;
    returns {member: staged file}. Any difference (a changed byte, a missing or extra member, an
    unsafe name) refuses the whole archive before anything is restored."""
    expected: dict[str, str] = manifest.get("files") or {}
    staged: dict[str, Path] = {}
    try:
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                if member.name in (MANIFEST, MANIFEST_SUM):
                    continue
                if member.name not in expected or not member.isfile() or not _safe(member.name):
                    raise _broken(path, f"清单里没有的内容：{member.name}")
                staged[member.name] = _stage(tar, member, staging, expected[member.name], path)
    except tarfile.TarError as exc:
        raise _broken(path, str(exc)) from None
    missing = sorted(set(expected) - set(staged))
    if missing:
        raise _broken(path, f"缺少 {len(missing)} 个文件，例如 {missing[0]}")
    return staged


def _stage(
    tar: tarfile.TarFile, member: tarfile.TarInfo, staging: Path, want: str, path: Path
) -> Path:
    source = tar.extractfile(member)
    if source is None:
        raise _broken(path, f"读不出 {member.name}")
    target = staging / member.name
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(target, "wb") as handle:
        while chunk := source.read(_BUFFER):
            digest.update(chunk)
            handle.write(chunk)
    if digest.hexdigest() != want:
        raise _broken(path, f"{member.name} 的校验和不符")
    return target
