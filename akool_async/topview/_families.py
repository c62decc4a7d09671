"""TopView's task families: one table says how each is submitted and queried.

Names carry a ``topview_`` prefix so a batch manifest mixing Akool and TopView rows names every
family unambiguously. Queries are single-id GETs with ``?taskId=``.

Query paths: TopView's own client and other public callers query the common tasks (text to video,
text to image, image to video v2), video avatar and product avatar v2 at ``.../query``. For the v1
product-avatar tasks and v1 image to video the sources disagree (their endpoint pages say
``.../result``, the overview ``.../query``); the table holds the pages' path and
:func:`alternate_query_path` gives the other spelling, which the session tries once when the first
answers HTTP 404, and then remembers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .._family import Family, family_table
from . import _common_tasks, _product_avatar, _video_avatar

__all__ = [
    "BIZ_TYPES",
    "TOPVIEW_FAMILIES",
    "alternate_query_path",
    "family_for_biz_type",
]

#: Every TopView family by name, from the areas' entries.
TOPVIEW_FAMILIES: Final[Mapping[str, Family]] = family_table(
    _product_avatar.FAMILIES_PART, _video_avatar.FAMILIES_PART, _common_tasks.FAMILIES_PART
)

#: Callback ``bizType`` -> family name (the bizTypes of the families this SDK submits). A v2
#: family shares its v1 family's bizType, which names the v1 family here.
BIZ_TYPES: Final[Mapping[str, str]] = {
    f.webhook_type: f.name for f in reversed(list(TOPVIEW_FAMILIES.values()))
}


def family_for_biz_type(biz_type: str) -> Family | None:
    """The family a callback's ``bizType`` belongs to, None for one this SDK does not submit."""
    name = BIZ_TYPES.get(biz_type)
    return None if name is None else TOPVIEW_FAMILIES[name]


def alternate_query_path(path: str) -> str | None:
    """The other documented spelling of a query path (``.../result`` <-> ``.../query``)."""
    head, _, last = path.rpartition("/")
    if last == "result":
        return f"{head}/query"
    if last == "query":
        return f"{head}/result"
    return None
