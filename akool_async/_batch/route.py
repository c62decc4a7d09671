"""Which session serves each row of a batch (one per provider, by family)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._errors import ValidationError
from .manifest import ManifestError, ManifestProblem, ManifestRow
from .providers import family_provider

if TYPE_CHECKING:
    from .._base import BaseSession

__all__ = ["route_rows"]


def route_rows(
    sessions: Sequence[BaseSession], rows: Sequence[ManifestRow]
) -> dict[str, BaseSession]:
    """Row id -> the session serving the row's family.

    Raises:
        ManifestError: rows whose family no session serves (each cited by line).
        ValidationError: two sessions serve a family the rows use.
    """
    route: dict[str, BaseSession] = {}
    problems: list[ManifestProblem] = []
    for row in rows:
        serving = [s for s in sessions if row.family in s.families]
        if len(serving) > 1:
            raise ValidationError(
                "session",
                f"{len(serving)} sessions serve family {row.family!r}; give one per provider",
            )
        if serving:
            route[row.row_id] = serving[0]
            continue
        given = ", ".join(sorted({s.provider for s in sessions}))
        try:
            provider = family_provider(row.family)
        except KeyError:  # a ManifestRow built by hand, never validated
            problem = f"no session serves {row.family!r} (sessions: {given})"
        else:
            problem = f"no {provider} session was given for {row.family!r} (sessions: {given})"
        problems.append(ManifestProblem(row.source, row.line, "family", problem))
    if problems:
        raise ManifestError(problems)
    return route
