"""The providers the batch wing serves, as handed to it by :mod:`akool_async._providers`.

The wing never imports a provider: the package's top assembles the :class:`Provider` records and
calls :func:`use_providers` once at import; manifests and runs look them up here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .._family import Family
from .._provider import Provider

__all__ = [
    "family_provider",
    "known_families",
    "lookup",
    "providers",
    "result_is_file",
    "use_providers",
]

_providers: tuple[Provider, ...] = ()
_by_family: dict[str, tuple[Provider, Family]] = {}


def use_providers(records: Iterable[Provider]) -> None:
    """Serve these providers (in this order: the first one's names win a clash)."""
    global _providers
    _providers = tuple(records)
    _by_family.clear()
    for p in _providers:
        for name, fam in p.families.items():
            _by_family.setdefault(name, (p, fam))


def providers() -> tuple[Provider, ...]:
    """Every provider a manifest may use, in order."""
    return _providers


def lookup(family: str) -> tuple[Provider, Family] | None:
    """The provider serving ``family`` and its family entry, if any provider does."""
    return _by_family.get(family)


def known_families() -> Mapping[str, Family]:
    """Every family of every provider, by name."""
    return {name: fam for name, (_, fam) in _by_family.items()}


def result_is_file(family: str) -> bool:
    """Whether ``family``'s result is a file to download (False for moderation, whose result
    is the verdict itself); True for a family no provider serves."""
    found = _by_family.get(family)
    return found is None or found[1].result_is_file


def family_provider(family: str) -> str:
    """The name of the provider serving ``family``.

    Raises:
        KeyError: no provider has that family.
    """
    return _by_family[family][0].name
