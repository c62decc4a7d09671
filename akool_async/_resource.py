"""The base of every provider's per-area resources (``session.talking_photo``, ``tv.common``).

A resource method validates its arguments into a request object (raising ValidationError naming
the field before anything is sent), then creates the job through its session with one POST.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._family import Family
from ._job import Job
from ._sentinel import NotGiven

if TYPE_CHECKING:
    from ._base import BaseSession

__all__ = ["MaxWait", "Resource", "rebind_resources"]

#: ``max_wait`` of a create: seconds, None to wait forever, or not given (the session's default).
MaxWait = float | None | NotGiven


class Resource:
    """One API area's resource, bound to its session.

    ``_family_name`` names the area's main family, where it has one (:attr:`family`).
    """

    _family_name: str = ""

    def __init__(self, session: BaseSession) -> None:
        self._session = session

    @property
    def family(self) -> Family:
        """This resource's entry in its session's family table."""
        return self._session.families[self._family_name]

    async def _create_all(self, family: str, request: Any, max_wait: MaxWait) -> list[Job]:
        """Create the jobs of ``request`` in ``family``; several for a multi-job create."""
        fam = self._session.families[family]
        return await self._session._create(fam, request, max_wait=max_wait)

    async def _create_one(self, family: str, request: Any, max_wait: MaxWait) -> Job:
        """Create the one job of ``request`` in ``family``."""
        return (await self._create_all(family, request, max_wait))[0]


def rebind_resources(session: BaseSession) -> None:
    """Give ``session`` (a copy of another) resources of its own, bound to it."""
    for name, value in list(vars(session).items()):
        if isinstance(value, Resource):
            setattr(session, name, type(value)(session))
