"""VoiceLab text to speech: every ``extra_options`` the page's table allows is accepted and sent
as given, and the body fits the contract schema typed from that table (hypothesis)."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from akool_async import FAMILIES
from akool_async._akool.voice_lab import VoiceTtsRequest
from akool_async._converter import build_request, request_body

from .contract.test_voice import V4_TTS_SCHEMA

_ints = st.integers
_EXTRA = st.fixed_dictionaries(
    {},
    optional={
        "previous_text": st.text(max_size=20),
        "next_text": st.text(max_size=20),
        "apply_text_normalization": st.sampled_from(["auto", "on", "off"]),
        "apply_language_text_normalization": st.booleans(),
        "latex_read": st.booleans(),
        "text_normalization": st.booleans(),
        "audio_setting": st.fixed_dictionaries(
            {},
            optional={
                "sample_rate": st.sampled_from([8000, 16000, 22050, 24000, 32000, 44100]),
                "bitrate": st.sampled_from([32000, 64000, 128000, 256000]),
                "format": st.sampled_from(["mp3", "wav"]),
                "channel": st.sampled_from([1, 2]),
            },
        ),
        "timber_weights": st.lists(
            st.fixed_dictionaries(
                {"voice_id": st.text(min_size=1, max_size=8), "weight": _ints(1, 100)}
            ),
            max_size=4,
        ),
        "pronunciation_dict": st.fixed_dictionaries(
            {}, optional={"tone": st.lists(st.text(max_size=10), max_size=3)}
        ),
        "voice_modify": st.fixed_dictionaries(
            {},
            optional={
                "pitch": _ints(-100, 100),
                "intensity": _ints(-100, 100),
                "timbre": _ints(-100, 100),
                "sound_effects": st.sampled_from(
                    ["spacious_echo", "auditorium_echo", "lofi_telephone", "robotic"]
                ),
            },
        ),
        "subtitle_enable": st.booleans(),
        "pitch": _ints(-12, 12),
    },
)


@settings(max_examples=150, deadline=None)
@given(extra=_EXTRA, pitch=st.none() | _ints(-12, 12))
def test_table_options_are_accepted_and_fit_the_page_schema(
    extra: dict[str, Any], pitch: int | None
) -> None:
    """Any combination the table allows builds, is sent unchanged, and fits the page schema."""
    fields: dict[str, Any] = {"input_text": "hi", "voice_id": "v", "extra_options": extra}
    if pitch is not None:
        fields["pitch"] = pitch
    body = request_body(FAMILIES["voice_tts"], build_request(VoiceTtsRequest, fields))
    assert body.get("extra_options", {}) == extra
    assert list(jsonschema.Draft202012Validator(V4_TTS_SCHEMA).iter_errors(body)) == []
