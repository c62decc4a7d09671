"""The family table: every entry is complete, and the fake server serves every family."""

from __future__ import annotations

import attrs
import pytest

from akool_async import FAMILIES, Family, Session, StatusEndpoint, ValidationError
from akool_async._akool import family
from akool_async._converter import build_request, request_body
from akool_async.testing import FakeAkool
from akool_async.testing._akool import CREATE_ENDPOINTS
from akool_async.testing._http import ParamError
from akool_async.testing._jobs import FAMILIES as FAKE_FAMILIES

from .helpers import MINIMAL_FIELDS

NAMES = sorted(FAMILIES)


def _fake_routes() -> set[tuple[str, str]]:
    app = FakeAkool().app()
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
    }


@pytest.mark.parametrize("name", NAMES)
def test_entry_is_complete(name: str) -> None:
    """Each family has a create path, an attrs request type, a status endpoint and fields."""
    fam = FAMILIES[name]
    assert isinstance(fam, Family) and fam.name == name
    assert fam.create_path.startswith("/api/open/v")
    assert attrs.has(fam.request_type)
    # A family whose endpoint documents no webhook field has no webhook_url (and no key).
    assert ("webhook_url" in attrs.fields_dict(fam.request_type)) == bool(fam.webhook_key)
    assert isinstance(fam.status, StatusEndpoint)
    assert fam.status.path.startswith("/api/open/v") and fam.status.method in ("GET", "POST")
    assert fam.status.id_param
    if fam.status.batch:
        assert fam.status.id_param == "_ids"
    assert fam.status.key == f"{fam.status.method} {fam.status.path}"
    assert fam.status_field and fam.result_field
    assert fam.webhook_key in ("webhookUrl", "webhookurl", "")
    assert fam.webhook_type
    assert fam.created_ids in ("single", "all_results", "list", "success_list")
    assert fam.typical_duration > 0
    assert fam.result_suffix.startswith(".")
    assert set(fam.renames) <= set(attrs.fields_dict(fam.request_type))


def test_create_paths_are_distinct() -> None:
    """No two families share a create endpoint."""
    paths = [fam.create_path for fam in FAMILIES.values()]
    assert len(paths) == len(set(paths))


def test_family_lookup() -> None:
    """family(name) finds an entry; an unknown name is a ValidationError listing the known."""
    assert family("tts") is FAMILIES["tts"]
    with pytest.raises(ValidationError) as info:
        family("nope")
    assert info.value.field == "family" and "talking_photo" in info.value.problem


@pytest.mark.parametrize("name", NAMES)
def test_fake_server_knows_the_create_path(name: str) -> None:
    """The fake has a create validator for each family's path and accepts a minimal body."""
    fam = FAMILIES[name]
    assert fam.create_path in CREATE_ENDPOINTS
    body = request_body(fam, build_request(fam.request_type, MINIMAL_FIELDS[name]))
    try:
        spec = CREATE_ENDPOINTS[fam.create_path](body)
    except ParamError as exc:  # pragma: no cover - the message says which field
        pytest.fail(f"the fake refused a minimal {name} body: {exc.msg}")
    assert spec.family == name


@pytest.mark.parametrize("name", NAMES)
def test_fake_server_routes_create_and_status(name: str) -> None:
    """The fake serves POST on each create path and the family's status endpoint."""
    routes = _fake_routes()
    fam = FAMILIES[name]
    assert ("POST", fam.create_path) in routes
    assert (fam.status.method, fam.status.path) in routes


def test_fake_families_match_sdk_families() -> None:
    """The fake's family table names the same families, webhook types and result files."""
    assert set(FAKE_FAMILIES) == set(FAMILIES)
    for name, fake_fam in FAKE_FAMILIES.items():
        fam = FAMILIES[name]
        assert fake_fam.webhook_type == fam.webhook_type, name
        assert f".{fake_fam.ext}" == fam.result_suffix, name


def test_minimal_fields_cover_every_family() -> None:
    """The shared test inputs name every family (so per-family tests miss none)."""
    assert set(MINIMAL_FIELDS) == set(FAMILIES)


def test_resources_point_at_their_families() -> None:
    """Each session resource creates jobs of the family it is named after."""
    session = Session(api_key="k")
    assert session.families is FAMILIES
    pairs = {
        "talking_photo": session.talking_photo,
        "lip_sync": session.lip_sync,
        "video_translation": session.video_translation,
        "talking_avatar": session.talking_avatar,
        "avatar_upload": session.avatar_upload,
        "character_swap": session.character_swap,
        "faceswap_image": session.faceswap,
        "reage_image": session.reage,
        "head_swap": session.head_swap,
        "image": session.image,
        "image2video": session.image_to_video,
        "text2video": session.text_to_video,
        "tts": session.tts,
        "moderation": session.moderation,
    }
    for name, resource in pairs.items():
        assert resource.family is FAMILIES[name]
