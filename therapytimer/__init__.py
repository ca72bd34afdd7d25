"""TherapyTimer: per-code stopwatches and billing units for PT, OT and SLP sessions."""

from __future__ import annotations


def version() -> str:
    """The installed version, read from package metadata (defined once, in pyproject.toml).

    Looked up lazily: importlib.metadata costs milliseconds that `therapytimer units` should not pay.
    """
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _version

    try:
        return _version("therapytimer")
    except PackageNotFoundError:  # a source checkout that was never installed
        return "0+unknown"
