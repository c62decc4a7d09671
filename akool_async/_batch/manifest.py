"""Batch manifests: CSV or JSON Lines files of job requests, validated whole before any request.

Each row names its ``family`` (see :data:`akool_async.FAMILIES`, and the ``topview_*`` families of
:data:`akool_async.topview.TOPVIEW_FAMILIES`), an optional ``id``, and the create fields of that
family in the SDK's spelling (``talking_photo_url``, ``audio_url``, ``language`` ...)::

    id,family,talking_photo_url,audio_url
    intro,talking_photo,https://cdn.example.com/face.jpg,https://cdn.example.com/hello.mp3

    {"id": "intro-ja", "family": "video_translation", "url": "https://...", "language": "ja,fr"}
    {"family": "topview_text2image", "model": "Imagen 4", "prompt": "a fox", "aspectRatio": "1:1"}

Rules:

* Column and key names are case-insensitive; ``-`` and spaces count as ``_``. Empty cells and
  JSON ``null`` mean "not given". Blank lines and lines starting with ``#`` are skipped.
* CSV cells are text: numbers and booleans (``true``/``false``/``yes``/``no``/``1``/``0``) are
  converted for the fields that take them; a face-swap image list is a JSON array or URLs
  separated by ``|``.
* ``id`` names the row in the journal, the report and the result files. Default: ``line-N``
  (its line number). Ids must be unique, even ignoring case (they name files), at most
  :data:`MAX_ROW_ID_LENGTH` characters, without control characters.
* Friendly aliases (each provider's ``field_aliases`` and ``family_aliases``), e.g.
  ``photo``/``audio`` for a talking photo, ``video``/``audio`` for lip sync, ``video`` and
  ``languages`` (a JSON list is joined) for a translation, the API's camelCase spellings
  (``webhookUrl``, ``sourceImage`` ...). Giving an alias and its field together is an error.
* TopView rows take the fields of TopView's request classes, snake_case or TopView's camelCase
  (``product_image_file_id`` or ``productImageFileId``, ``noticeUrl``), validated by the same
  code :class:`~akool_async.topview.TopViewSession` uses.

Every problem is reported, each with its line: ``manifest.csv:17: audio_url: must be an http(s)
URL with a host``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from attrs import frozen

from .._download import safe_filename
from .._errors import AkoolError, ValidationError
from .._provider import expected_job_labels
from .fields import _build_all, _family_name, _lookup, _norm_key, _normalise_fields
from .providers import lookup

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_ROW_ID_LENGTH",
    "Manifest",
    "ManifestError",
    "ManifestProblem",
    "ManifestRow",
    "load_manifest",
    "parse_manifest",
    "result_stems",
    "validate_rows",
]

#: Longest row id accepted.
MAX_ROW_ID_LENGTH: Final = 100
#: Longest manifest line accepted by default, in bytes (a row is a few hundred bytes).
MAX_LINE_BYTES: Final = 1 << 20
#: Problems listed in a :class:`ManifestError` message (all are kept in ``.problems``).
_MESSAGE_PROBLEMS: Final = 20

ManifestFormat = Literal["csv", "jsonl"]

_ID_KEYS: Final = frozenset({"id", "row_id"})


# -- records -----------------------------------------------------------------------------------


@frozen(slots=True)
class ManifestRow:
    """One validated manifest row.

    Attributes:
        row_id: the row's id (unique in its manifest).
        family: the canonical family name, e.g. ``"talking_photo"`` or ``"topview_text2image"``.
        fields: the create fields, canonical names, typed values, nothing ``None``; what
            ``session.create(family, fields)`` takes and what the journal stores.
        source: the manifest's name, for messages.
        line: the line the row starts on (1-based; for rows given in Python, their position).
    """

    row_id: str
    family: str
    fields: Mapping[str, Any]
    source: str = "rows"
    line: int = 0

    @property
    def where(self) -> str:
        """``source:line``, as messages cite the row."""
        return f"{self.source}:{self.line}"

    @property
    def provider(self) -> str:
        """The name of the provider serving the row's family (``"akool"``, ``"topview"``)."""
        return _lookup(self.family)[0].name


@frozen(slots=True)
class ManifestProblem:
    """One thing wrong with a manifest: where, which field, what."""

    source: str
    line: int
    field: str | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return (
            f"{where}: {self.field}: {self.problem}" if self.field else f"{where}: {self.problem}"
        )


class ManifestError(AkoolError, ValueError):
    """A manifest has problems; nothing was sent. ``problems`` lists every one, in line order."""

    def __init__(self, problems: Sequence[ManifestProblem]) -> None:
        self.problems = tuple(problems)
        shown = [str(p) for p in self.problems[:_MESSAGE_PROBLEMS]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problem(s)")
        super().__init__("\n".join(shown) or "invalid manifest")


@frozen(slots=True)
class Manifest:
    """A validated manifest: its rows in order, and a digest of their content."""

    rows: tuple[ManifestRow, ...]
    source: str = "rows"

    @property
    def digest(self) -> str:
        """sha256 of the rows' ids, families and fields (not of the file's formatting)."""
        payload = [[r.row_id, r.family, dict(r.fields)] for r in self.rows]
        text = json.dumps(
            ["akool-manifest-v1", payload],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def providers(self) -> frozenset[str]:
        """The providers the rows need (``{"akool", "topview"}`` for a mixed manifest)."""
        return frozenset(r.provider for r in self.rows)


def _row_id(value: Any, line: int) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return f"line-{line}"
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError("id", f"must be text or an integer, got {type(value).__name__}")
    text = str(value).strip()
    if len(text) > MAX_ROW_ID_LENGTH:
        raise ValidationError("id", f"must be at most {MAX_ROW_ID_LENGTH} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text):
        raise ValidationError("id", "must not contain control characters")
    return text


def result_stems(row_id: str, family: str, fields: Mapping[str, Any]) -> list[str]:
    """File stems for a row's results, one per job the create is expected to start.

    One job: the row id. A translation into several languages: ``<id>.<language>``. Several
    text-to-video results: ``<id>.1``, ``<id>.2`` ... (Stems go through ``safe_filename``.)
    Fields no provider accepts give the row id alone.
    """
    found = lookup(family)
    if found is None:
        return [row_id]
    provider, fam = found
    try:
        request = provider.build_request(fam.request_type, fields)
    except ValidationError:
        return [row_id]
    return _stems(row_id, request)


def _stems(row_id: str, request: Any) -> list[str]:
    return [f"{row_id}.{label}" if label else row_id for label in expected_job_labels(request)]


# -- validation ----------------------------------------------------------------------------------


class _Collector:
    """Validates records one by one, collecting problems, ids and file names."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.rows: list[ManifestRow] = []
        self.problems: list[ManifestProblem] = []
        self._ids: dict[str, tuple[str, int]] = {}
        self._stems: dict[str, tuple[str, int]] = {}

    def problem(self, line: int, field: str | None, text: str) -> None:
        self.problems.append(ManifestProblem(self.source, line, field, text))

    def add(self, record: Mapping[str, Any], line: int, *, from_text: bool) -> None:
        id_value: Any = None
        family_value: Any = None
        rest: dict[str, Any] = {}
        for key, value in record.items():
            norm = _norm_key(key) if isinstance(key, str) else key
            if norm in _ID_KEYS:
                id_value = value
            elif norm == "family":
                family_value = value
            else:
                rest[key] = value
        try:
            row_id = _row_id(id_value, line)
        except ValidationError as exc:
            self.problem(line, exc.field, exc.problem)
            row_id = None
        try:
            family = _family_name(family_value)
        except ValidationError as exc:
            self.problem(line, exc.field, exc.problem)
            return
        found: list[ValidationError] = []
        fields = _normalise_fields(family, rest, from_text=from_text, problems=found)
        provider, fam = _lookup(family)
        request = _build_all(provider, fam, fields, found)
        for bad in found:
            self.problem(line, bad.field, bad.problem)
        if request is None or found:
            return
        fields = {name: provider.plain(value) for name, value in fields.items()}
        if row_id is None or not self._unique(row_id, _stems(row_id, request), line):
            return
        self.rows.append(ManifestRow(row_id, family, fields, self.source, line))

    def _unique(self, row_id: str, row_stems: Sequence[str], line: int) -> bool:
        seen = self._ids.get(row_id.casefold())
        if seen is not None:
            same = "" if seen[0] == row_id else f" as {seen[0]!r} (ids name files: case is ignored)"
            self.problem(
                line, "id", f"duplicate id {row_id!r}: already used on line {seen[1]}{same}"
            )
            return False
        self._ids[row_id.casefold()] = (row_id, line)
        # Different ids must not give the same file (``a.ja`` vs the ``ja`` result of ``a``).
        stems = [safe_filename(s).casefold() for s in row_stems]
        for stem in stems:
            other = self._stems.get(stem)
            if other is not None:
                self.problem(
                    line,
                    "id",
                    f"id {row_id!r} would name its result like row {other[0]!r} (line "
                    f"{other[1]}) does: {stem}; choose another id",
                )
                return False
        for stem in stems:
            self._stems[stem] = (row_id, line)
        return True

    def result(self) -> Manifest:
        if self.problems:
            raise ManifestError(sorted(self.problems, key=lambda p: p.line))
        return Manifest(tuple(self.rows), self.source)


def validate_rows(
    rows: Iterable[ManifestRow | Mapping[str, Any]], *, source: str = "rows"
) -> Manifest:
    """Validate rows given in Python: :class:`ManifestRow` objects or mappings.

    A mapping is one row as in a JSONL manifest: ``{"id": ..., "family": ..., <fields>}``. Its
    "line" in messages is its 1-based position.

    Raises:
        ManifestError: listing every problem; nothing was sent.
    """
    collector = _Collector(source)
    for position, row in enumerate(rows, start=1):
        if isinstance(row, ManifestRow):
            record: Mapping[str, Any] = {"id": row.row_id, "family": row.family, **row.fields}
            line = row.line or position
        elif isinstance(row, Mapping):
            record, line = row, position
        else:
            collector.problem(position, None, f"a row must be a mapping, got {type(row).__name__}")
            continue
        collector.add(record, line, from_text=False)
    return collector.result()


def _parse_jsonl(text: str, collector: _Collector) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            record = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            collector.problem(number, None, f"not valid JSON: {exc}")
            continue
        if not isinstance(record, dict):
            collector.problem(number, None, f"must be a JSON object, got {type(record).__name__}")
            continue
        collector.add(record, number, from_text=False)


def _parse_csv(text: str, collector: _Collector) -> None:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                names = [_norm_key(c) for c in header]
                if "family" not in names:
                    collector.problem(start, None, "the header has no 'family' column")
                    return
                dupes = sorted({n for n in names if n and names.count(n) > 1})
                if dupes:
                    collector.problem(start, None, f"column {dupes[0]!r} appears twice")
                    return
                if any(not c for c in header):
                    collector.problem(start, None, "the header has an empty column name")
                    return
                continue
            if len(cells) > len(header):
                extra = [c for c in cells[len(header) :] if c.strip()]
                if extra:
                    collector.problem(
                        start, None, f"{len(cells)} cells but the header has {len(header)} columns"
                    )
                    continue
            collector.add(dict(zip(header, cells, strict=False)), start, from_text=True)
    except csv.Error as exc:
        collector.problem(end + 1, None, f"bad CSV: {exc}")
    if header is None and not collector.problems:
        collector.problem(1, None, "no header row (expected e.g. id,family,<fields>...)")


def _sniff(text: str) -> ManifestFormat:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return "jsonl" if stripped.startswith("{") else "csv"
    return "csv"


def parse_manifest(
    text: str, *, source: str = "manifest", format: ManifestFormat | None = None
) -> Manifest:
    """Parse and validate manifest text.

    Args:
        text: the manifest's content.
        source: its name in messages (usually the file name).
        format: ``"csv"`` or ``"jsonl"``; None guesses from the first line (``{`` means JSONL).

    Raises:
        ManifestError: listing every problem with its line; nothing was sent.
    """
    collector = _Collector(source)
    if text.startswith("\ufeff"):
        text = text[1:]
    fmt = format or _sniff(text)
    if fmt == "jsonl":
        _parse_jsonl(text, collector)
    else:
        _parse_csv(text, collector)
    if not collector.rows and not collector.problems:
        collector.problem(0, None, "no rows")
    return collector.result()


def _read_bounded(path: Path, source: str, limit: int) -> tuple[str, list[ManifestProblem]]:
    """The file's text with every line longer than ``limit`` bytes blanked (and a problem for
    each): a huge line is skipped as it is read, never held in memory.

    Raises:
        OSError: the file cannot be read.
        UnicodeDecodeError: it is not UTF-8.
    """
    problems: list[ManifestProblem] = []
    parts: list[bytes] = []
    with path.open("rb") as f:
        number = 0
        while line := f.readline(limit + 1):
            number += 1
            if len(line) > limit and not line.endswith(b"\n"):
                while (rest := f.readline(1 << 16)) and not rest.endswith(b"\n"):
                    pass
                problems.append(
                    ManifestProblem(
                        source,
                        number,
                        None,
                        f"line longer than {limit} bytes; rows are far smaller",
                    )
                )
                parts.append(b"\n")
                continue
            parts.append(line)
    return b"".join(parts).decode("utf-8"), problems


def load_manifest(
    path: str | os.PathLike[str],
    *,
    format: ManifestFormat | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Manifest:
    """Read and validate a manifest file (``.csv``, ``.jsonl``/``.ndjson``, else guessed).

    Args:
        path: the file.
        format: ``"csv"`` or ``"jsonl"``; None: from the suffix, else guessed.
        max_line_bytes: longer lines are refused (each cited), without reading them whole.

    Raises:
        ManifestError: the file cannot be read, or has problems (each cited by line).
    """
    p = Path(path)
    source = p.name
    if format is None:
        suffix = p.suffix.lower()
        format = "csv" if suffix == ".csv" else "jsonl" if suffix in (".jsonl", ".ndjson") else None
    try:
        text, problems = _read_bounded(p, source, max_line_bytes)
    except UnicodeDecodeError as exc:
        raise ManifestError([ManifestProblem(source, 0, None, f"not UTF-8 text: {exc}")]) from None
    except OSError as exc:
        raise ManifestError(
            [ManifestProblem(source, 0, None, f"cannot read: {exc.strerror or exc}")]
        ) from None
    try:
        manifest = parse_manifest(text, source=source, format=format)
    except ManifestError as exc:
        if not problems:
            raise
        rest = [q for q in exc.problems if not (q.line == 0 and q.problem == "no rows")]
        raise ManifestError(sorted([*problems, *rest], key=lambda q: q.line)) from None
    if problems:
        raise ManifestError(problems)
    return manifest
