"""Batch manifests: CSV and JSONL parsing, aliases, and whole-file validation with line numbers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akool_async import FAMILIES, Session
from akool_async._batch import (
    Manifest,
    ManifestError,
    ManifestRow,
    load_manifest,
    parse_manifest,
    providers,
    result_stems,
    use_providers,
    validate_rows,
)
from akool_async._converter import build_request
from akool_async._download import safe_filename
from akool_async._provider import Provider

IMG = "https://cdn.example.com/face.jpg"
MP3 = "https://cdn.example.com/voice.mp3"
MP4 = "https://cdn.example.com/clip.mp4"


def _problems(exc: pytest.ExceptionInfo[ManifestError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_csv_rows_with_aliases_and_types() -> None:
    """CSV cells become canonical, typed fields; aliases and family spellings are accepted."""
    text = (
        "id,family,photo,audio,video,url,language,lipsync,speaker_num\n"
        f"tp,talking_photo,{IMG},{MP3},,,,,\n"
        f"ls,lipsync,,{MP3},{MP4},,,,\n"
        f"tr,Video-Translation,,,,{MP4},ja,yes,2\n"
    )
    manifest = parse_manifest(text, source="m.csv")
    assert [(r.row_id, r.family, r.line) for r in manifest.rows] == [
        ("tp", "talking_photo", 2),
        ("ls", "lip_sync", 3),
        ("tr", "video_translation", 4),
    ]
    assert manifest.rows[0].fields == {"talking_photo_url": IMG, "audio_url": MP3}
    assert manifest.rows[1].fields == {"audio_url": MP3, "video_url": MP4}
    assert manifest.rows[2].fields == {
        "url": MP4,
        "language": "ja",
        "lipsync": True,
        "speaker_num": 2,
    }


def test_error_cites_file_line_and_field() -> None:
    """A bad value is reported as ``file:line: field: problem`` (comments and blanks count)."""
    text = (
        "id,family,talking_photo_url,audio_url\n"
        "# a comment\n"
        f"a,talking_photo,{IMG},{MP3}\n"
        "\n"
        f"b,talking_photo,{IMG},ftp://cdn.example.com/x.mp3\n"
    )
    with pytest.raises(ManifestError) as exc:
        parse_manifest(text, source="manifest.csv")
    assert _problems(exc) == ["manifest.csv:5: audio_url: must be an http(s) URL with a host"]
    assert str(exc.value) == "manifest.csv:5: audio_url: must be an http(s) URL with a host"


def test_every_problem_listed_in_line_order() -> None:
    """All rows are checked: each problem is listed, sorted by line."""
    text = (
        "id,family,talking_photo_url,audio_url,extra\n"
        f"a,talking_photo,{IMG},,\n"
        f"b,nope,{IMG},{MP3},\n"
        f"c,talking_photo,{IMG},{MP3},x\n"
        f"d,talking_photo,not a url,{MP3},\n"
    )
    with pytest.raises(ManifestError) as exc:
        parse_manifest(text, source="m.csv")
    problems = _problems(exc)
    assert [p.split(":")[1] for p in problems] == ["2", "3", "4", "5"]
    assert problems[0] == "m.csv:2: audio_url: is required"
    assert problems[1].startswith("m.csv:3: family: unknown family 'nope'; known: ")
    assert problems[2].startswith("m.csv:4: extra: unknown field; expected one of ")
    assert problems[3].startswith("m.csv:5: talking_photo_url: ")


def test_multiline_cell_keeps_line_numbers() -> None:
    """A quoted cell spanning lines: rows are cited by the line they start on."""
    text = (
        "id,family,talking_photo_url,audio_url,prompt\n"
        f'a,talking_photo,{IMG},{MP3},"two\nlines"\n'
        f"b,talking_photo,{IMG},bad,\n"
    )
    with pytest.raises(ManifestError) as exc:
        parse_manifest(text, source="m.csv")
    assert _problems(exc)[0].startswith("m.csv:4: audio_url: ")


def test_duplicate_ids_are_errors() -> None:
    """A repeated id, even in another case, is an error citing the first line."""
    text = (
        "id,family,talking_photo_url,audio_url\n"
        f"a,talking_photo,{IMG},{MP3}\n"
        f"a,talking_photo,{IMG},{MP3}\n"
        f"A,talking_photo,{IMG},{MP3}\n"
    )
    with pytest.raises(ManifestError) as exc:
        parse_manifest(text, source="m.csv")
    assert _problems(exc) == [
        "m.csv:3: id: duplicate id 'a': already used on line 2",
        "m.csv:4: id: duplicate id 'A': already used on line 2 as 'a' (ids name files: case is "
        "ignored)",
    ]


def test_result_names_must_not_collide() -> None:
    """An id that would name the same file as another row's result is an error."""
    rows = [
        {"id": "a", "family": "video_translation", "url": MP4, "language": "ja,fr"},
        {"id": "a.ja", "family": "talking_photo", "talking_photo_url": IMG, "audio_url": MP3},
    ]
    with pytest.raises(ManifestError) as exc:
        validate_rows(rows)
    assert "would name its result like row 'a' (line 1)" in _problems(exc)[0]


def test_default_ids_from_line_numbers() -> None:
    """Rows without an id get ``line-N``."""
    text = f"family,talking_photo_url,audio_url\ntalking_photo,{IMG},{MP3}\n"
    text += f"talking_photo,{IMG},{MP3}\n"
    assert [r.row_id for r in parse_manifest(text).rows] == ["line-2", "line-3"]


def test_jsonl_rows_and_errors() -> None:
    """JSONL: ids may be integers, language lists are joined, nulls are "not given"."""
    lines = [
        json.dumps({"id": 7, "family": "translation", "video": MP4, "languages": ["ja", "fr"]}),
        "",
        json.dumps({"family": "tts", "text": "hi", "voice": "en-1", "rate": "90%"}),
        "{not json",
        "[1, 2]",
        json.dumps({"id": True, "family": "image", "prompt": "fox"}),
    ]
    with pytest.raises(ManifestError) as exc:
        parse_manifest("\n".join(lines), source="m.jsonl")
    problems = _problems(exc)
    assert problems[0].startswith("m.jsonl:4: not valid JSON: ")
    assert problems[1] == "m.jsonl:5: must be a JSON object, got list"
    assert problems[2] == "m.jsonl:6: id: must be text or an integer, got bool"
    good = parse_manifest("\n".join(lines[:3]), source="m.jsonl")
    assert good.rows[0] == ManifestRow(
        "7", "video_translation", {"url": MP4, "language": "ja,fr"}, "m.jsonl", 1
    )
    assert good.rows[1].fields == {"input_text": "hi", "voice_id": "en-1", "rate": "90%"}
    assert good.rows[1].row_id == "line-3"


def test_alias_and_field_together_rejected() -> None:
    """Giving an alias and the field it stands for is ambiguous: an error."""
    row = {"family": "talking_photo", "photo": IMG, "talking_photo_url": IMG, "audio": MP3}
    with pytest.raises(ManifestError) as exc:
        validate_rows([row])
    assert _problems(exc) == [
        "rows:1: talking_photo_url: given twice (as 'photo' and 'talking_photo_url')"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("id,talking_photo_url\nx,y\n", "m.csv:1: the header has no 'family' column"),
        ("id,family,id\n", "m.csv:1: column 'id' appears twice"),
        ("", "m.csv:1: no header row (expected e.g. id,family,<fields>...)"),
        ("# only a comment\nid,family\n", "m.csv: no rows"),
        (
            f"id,family,talking_photo_url,audio_url\na,talking_photo,{IMG},{MP3},surplus\n",
            "m.csv:2: 5 cells but the header has 4 columns",
        ),
        (
            "id,family,lipsync,url,language\nt,video_translation,maybe,https://x.example/v,ja\n",
            "m.csv:2: lipsync: must be true or false, got 'maybe'",
        ),
        (
            "id,family,url,language,speaker_num\nt,video_translation,https://x.example/v,ja,two\n",
            "m.csv:2: speaker_num: must be an integer, got 'two'",
        ),
    ],
)
def test_structural_problems(text: str, problem: str) -> None:
    """Header, cell-count and type problems are reported with their line."""
    with pytest.raises(ManifestError) as exc:
        parse_manifest(text, source="m.csv", format="csv")
    assert _problems(exc) == [problem]


def test_faceswap_image_lists_in_csv() -> None:
    """A face list is ``|``-separated URLs or a JSON array (faces with opts) in a CSV cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["family", "source_image", "target_image", "modifyVideo", "face_reage"])
    targets = [{"path": IMG, "opts": "1,2"}, {"path": IMG, "opts": "3,4"}]
    writer.writerow(["faceswap_video", json.dumps(targets[::-1]), json.dumps(targets), MP4, ""])
    writer.writerow(["reage_video", "", f"{IMG}|{IMG}", MP4, "10"])
    swap, reage = parse_manifest(buffer.getvalue()).rows
    assert swap.fields == {
        "source_image": targets[::-1],
        "target_image": targets,
        "modify_url": MP4,
    }
    assert reage.fields["target_image"] == [IMG, IMG]


def test_digest_ignores_format_not_content() -> None:
    """CSV and JSONL with the same rows share a digest; changing a field changes it."""
    csv_text = f"id,family,talking_photo_url,audio_url\na,talking_photo,{IMG},{MP3}\n"
    jsonl = json.dumps({"family": "talking_photo", "id": "a", "photo": IMG, "audio": MP3})
    assert parse_manifest(csv_text).digest == parse_manifest(jsonl).digest
    other = parse_manifest(csv_text.replace("voice.mp3", "other.mp3"))
    assert other.digest != parse_manifest(csv_text).digest


def test_validate_rows_accepts_manifest_rows_and_mappings() -> None:
    """Python callers may pass ManifestRow objects or plain mappings."""
    manifest = validate_rows(
        [
            ManifestRow("x", "talking_photo", {"photo": IMG, "audio": MP3}),
            {"family": "image", "prompt": "a red fox"},
        ]
    )
    assert isinstance(manifest, Manifest)
    assert [(r.row_id, r.fields) for r in manifest.rows] == [
        ("x", {"talking_photo_url": IMG, "audio_url": MP3}),
        ("line-2", {"prompt": "a red fox"}),
    ]
    with pytest.raises(ManifestError, match="rows:1: a row must be a mapping, got str"):
        validate_rows(["nope"])  # type: ignore[list-item]


def test_load_manifest_files(tmp_path: Path) -> None:
    """Files are read as UTF-8 (BOM allowed), by suffix; unreadable ones are ManifestErrors."""
    good = tmp_path / "m.csv"
    good.write_text(f"\ufeffid,family,photo,audio\na,talking_photo,{IMG},{MP3}\n", "utf-8")
    assert load_manifest(good).rows[0].row_id == "a"
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text(json.dumps({"family": "image", "prompt": "fox"}) + "\n", "utf-8")
    assert load_manifest(jsonl).rows[0].family == "image"
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"id,family\n\xe9,image\n")
    with pytest.raises(ManifestError, match=r"latin\.csv: not UTF-8 text"):
        load_manifest(latin)
    with pytest.raises(ManifestError, match=r"missing\.csv: cannot read"):
        load_manifest(tmp_path / "missing.csv")


def test_result_stems_per_job() -> None:
    """One stem per expected job: languages for translations, numbers for text2video."""
    video = "https://cdn.example.com/v.mp4"
    assert result_stems("a", "video_translation", {"url": video, "language": "ja,fr"}) == [
        "a.ja",
        "a.fr",
    ]
    assert result_stems("a", "video_translation", {"url": video, "language": "ja"}) == ["a"]
    assert result_stems("t", "text2video", {"prompt": "fox", "count": 3}) == ["t.1", "t.2", "t.3"]
    assert result_stems("p", "talking_photo", {}) == ["p"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=30), min_size=1, max_size=8))
def test_any_ids_valid_or_reported(ids: list[str]) -> None:
    """Arbitrary ids never crash validation; accepted ones give distinct, safe file names."""
    rows: list[dict[str, Any]] = [
        {"id": i, "family": "talking_photo", "photo": IMG, "audio": MP3} for i in ids
    ]
    try:
        manifest = validate_rows(rows)
    except ManifestError as exc:
        assert exc.problems
        return
    names = [safe_filename(r.row_id, suffix=".mp4") for r in manifest.rows]
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert "/" not in name and "\\" not in name and not name.startswith(".")


def test_a_third_provider_is_one_record() -> None:
    """A provider added as one Provider record is served by manifests with its aliases."""
    speech = attrs.evolve(FAMILIES["tts"], name="other_speech")
    other = Provider(
        name="other",
        families={"other_speech": speech},
        build_request=build_request,
        session_from_env=Session,
        field_aliases=lambda family: {"words": "input_text"},
        family_aliases={"speech": "other_speech"},
    )
    before = providers()
    use_providers((*before, other))
    try:
        manifest = validate_rows(
            [
                {
                    "id": "s",
                    "family": "speech",
                    "words": "hello",
                    "voice_id": "en-US-1",
                    "rate": "100%",
                }
            ]
        )
        (row,) = manifest.rows
        served = (row.provider, row.family, row.fields["input_text"])
    finally:
        use_providers(before)
    assert served == ("other", "other_speech", "hello")
