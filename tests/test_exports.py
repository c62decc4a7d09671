"""The public surface: ``akool_async.__all__`` is sorted and matches what the package defines."""

from __future__ import annotations

import importlib.metadata
import inspect

import akool_async


def _isort_key(name: str) -> tuple[int, str]:
    # ruff RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical.
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted_and_unique() -> None:
    """__all__ has no duplicates and is in isort order (constants, classes, the rest)."""
    names = akool_async.__all__
    assert len(names) == len(set(names))
    assert names == sorted(names, key=_isort_key)


def test_every_name_in_all_exists() -> None:
    """Every name in __all__ is an attribute of the package."""
    missing = [name for name in akool_async.__all__ if not hasattr(akool_async, name)]
    assert missing == []


def test_every_public_class_and_function_is_exported() -> None:
    """Every public class or function the package defines is in __all__ (httpx style)."""
    exported = set(akool_async.__all__)
    for name, value in vars(akool_async).items():
        if name.startswith("_"):
            continue
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        if not getattr(value, "__module__", "").startswith("akool_async"):
            continue
        assert name in exported, f"{name} is public but not in __all__"


def test_exports_live_in_private_modules() -> None:
    """Exported classes and functions live in private ``_x`` modules under their own names."""
    for name in akool_async.__all__:
        value = getattr(akool_async, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            module = value.__module__
            assert module.startswith("akool_async._"), f"{name} lives in {module}"
            assert value.__name__ == name


def test_version_matches_distribution() -> None:
    """__version__ is the installed distribution's version."""
    assert akool_async.__version__ == importlib.metadata.version("akool-async")


def test_download_names_are_exported() -> None:
    """The single-job download's types (Downloader, DownloadResult, DownloadMismatch) are public."""
    for name in ("Downloader", "DownloadResult", "DownloadMismatch"):
        assert name in akool_async.__all__
