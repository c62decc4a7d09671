"""Where finished result files end up: a local directory (the default) or any fsspec URL.

Downloads always land in a local directory first (the downloader's part file, size and sha256
checks). :class:`LocalStorage` leaves them there. :class:`FsspecStorage` (``s3://bucket/prefix``
and any other fsspec URL; fsspec is imported only for these) then puts each finished file to its
final key: on S3 one single PUT, so an object only ever appears complete; on other filesystems
under a temporary name, then moved into place. A reader never sees a partial object.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

import anyio.to_thread

from .._errors import ConfigurationError, ValidationError
from .files import files_intact_one
from .journal import FileRecord

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["FsspecStorage", "LocalStorage", "Storage", "is_url", "open_storage"]

logger = logging.getLogger("akool_async.batch")

_URL_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
#: Filesystems whose single PUT is atomic (an object appears whole or not at all).
_ATOMIC_PUT: Final = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"})
_CHUNK: Final = 1 << 20
_USERINFO_RE: Final = re.compile(r"(?<=://)[^/@]*@")
_MD5_ETAG_RE: Final = re.compile(r'"?([0-9a-f]{32})"?')


def _public(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages."""
    return _USERINFO_RE.sub("***@", url, count=1)


def is_url(out: str | os.PathLike[str]) -> bool:
    """Whether ``out`` names object storage (``scheme://...``) rather than a local directory."""
    return isinstance(out, str) and _URL_RE.match(out) is not None


class Storage(Protocol):
    """Where a batch's result files end up."""

    @property
    def staging(self) -> Path:
        """The local directory downloads are written to (and part files left in)."""
        ...

    @property
    def remote(self) -> bool:
        """Whether files leave ``staging`` for somewhere else."""
        ...

    def journal_dir(self) -> Path:
        """Where the default journal goes (ValidationError where none can be kept)."""
        ...

    async def place(self, local: Path) -> str:
        """Move a finished, verified file from ``staging`` into place; return where it is."""
        ...

    def intact(self, files: Iterable[FileRecord]) -> bool:
        """Whether every file is still in place with its journaled size and sha256 (blocking)."""
        ...


class LocalStorage:
    """Results in a local (or shared) directory: files stay where the downloader put them."""

    __slots__ = ("_dir",)

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self._dir = Path(out_dir)

    @property
    def staging(self) -> Path:
        """The output directory itself."""
        return self._dir

    @property
    def remote(self) -> bool:
        """Never: files stay where they are downloaded."""
        return False

    def journal_dir(self) -> Path:
        """The output directory: the default journal lives beside the results."""
        return self._dir

    async def place(self, local: Path) -> str:
        """Nothing to move: the file is already in place."""
        return str(local)

    def intact(self, files: Iterable[FileRecord]) -> bool:
        """Whether every file is there, checked as :func:`.files.files_intact_one` does."""
        return all(files_intact_one(f) for f in files)


class FsspecStorage:
    """Results in object storage or any fsspec filesystem, under one URL prefix."""

    __slots__ = ("_atomic", "_fs", "_root", "_s3", "_staging", "_url")

    def __init__(self, url: str, *, storage_options: dict[str, Any] | None = None) -> None:
        """Resolve the filesystem of ``url`` (nothing is sent yet).

        Raises:
            ConfigurationError: fsspec (or the filesystem's package, e.g. s3fs) is missing, or
                the URL names no known filesystem.
        """
        try:
            import fsspec.core
        except ImportError as exc:
            raise ConfigurationError(
                "out_dir: a URL needs fsspec (and s3fs for s3://): pip install 'akool-async[fleet]'"
            ) from exc
        try:
            fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
        except (ImportError, ValueError) as exc:
            raise ConfigurationError(f"out_dir: cannot open {_public(url)!r}: {exc}") from None
        self._url = url
        self._fs: Any = fs
        self._root: str = str(root).rstrip("/")
        protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
        self._atomic = any(p in _ATOMIC_PUT for p in protocols)
        self._s3 = any(p in ("s3", "s3a") for p in protocols)
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        self._staging = Path(tempfile.gettempdir()) / "akool-async-staging" / digest

    @property
    def staging(self) -> Path:
        """A local directory per URL under the system's temporary directory."""
        return self._staging

    @property
    def remote(self) -> bool:
        """Always: files are put to the URL, then removed locally."""
        return True

    def journal_dir(self) -> Path:
        """None: object storage cannot hold the SQLite journal, so one must be given."""
        raise ValidationError("journal", f"give one when out_dir is a URL ({_public(self._url)})")

    def _key(self, name: str) -> str:
        return f"{self._root}/{name}" if self._root else name

    def _place(self, local: Path) -> str:
        key = self._key(local.name)
        if self._s3:
            # Our digests ride along, so a resume can trust the ETag (the MD5 of a single PUT).
            md5, sha256 = _digests(local)
            self._fs.put_file(str(local), key, Metadata={"md5": md5, "sha256": sha256})
        elif self._atomic:
            self._fs.put_file(str(local), key)
        else:
            temp = self._key(f".{local.name}.part-{secrets.token_hex(6)}")
            self._fs.put_file(str(local), temp)
            try:
                self._fs.mv(temp, key)
            except BaseException:
                with contextlib.suppress(Exception):
                    self._fs.rm_file(temp)
                raise
        with contextlib.suppress(OSError):
            local.unlink()
        return self._fs.unstrip_protocol(key)  # type: ignore[no-any-return]

    async def place(self, local: Path) -> str:
        """Put the file to its key (one PUT, or a temporary name and a move); remove it locally."""
        return await anyio.to_thread.run_sync(self._place, local)

    def _etag_matches(self, file: FileRecord, etag: object) -> bool:
        """Whether the object's ETag is the MD5 we put beside the journaled sha256 (a HEAD)."""
        found = _MD5_ETAG_RE.fullmatch(etag) if self._s3 and isinstance(etag, str) else None
        if found is None:
            return False
        meta = self._fs.metadata(file.path)
        return bool(meta.get("md5") == found.group(1) and meta.get("sha256") == file.sha256)

    def _intact_one(self, file: FileRecord) -> bool:
        try:
            info = self._fs.info(file.path)
            if info.get("size") != file.size:
                return False
            if self._etag_matches(file, info.get("ETag")):
                return True
            digest = hashlib.sha256()
            with self._fs.open(file.path, "rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
        except (OSError, ValueError) as exc:
            logger.debug("cannot check %s: %s", file.path, exc)
            return False
        return digest.hexdigest() == file.sha256

    def intact(self, files: Iterable[FileRecord]) -> bool:
        """Whether every object is there with its journaled size and sha256 (blocking).

        On S3 an object we put whole (its ETag the MD5 we stored beside the sha256) is trusted
        from HEAD requests; any other object is read back and hashed.
        """
        self._fs.invalidate_cache()
        return all(self._intact_one(f) for f in files)


def _digests(path: Path) -> tuple[str, str]:
    """The MD5 and sha256 (hex) of a local file (blocking)."""
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            md5.update(chunk)
            sha256.update(chunk)
    return md5.hexdigest(), sha256.hexdigest()


def open_storage(out_dir: str | os.PathLike[str]) -> LocalStorage | FsspecStorage:
    """The storage ``out_dir`` names: an fsspec URL, or else a local directory."""
    if is_url(out_dir):
        assert isinstance(out_dir, str)
        return FsspecStorage(out_dir)
    return LocalStorage(out_dir)
