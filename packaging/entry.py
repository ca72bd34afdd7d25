"""The bundle's entry point: the same `main` as the `therapytimer` command.

macOS may start a .app with a `-psn_0_123456` argument (the process serial number of older launches and
of a first start from a download); it is no option of ours, so it is dropped rather than refused.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def arguments(argv: Sequence[str], platform: str = sys.platform) -> list[str]:
    """The command-line arguments meant for TherapyTimer."""
    if platform != "darwin":
        return list(argv)
    return [arg for arg in argv if not arg.startswith("-psn_")]


if __name__ == "__main__":
    from therapytimer.cli import main

    raise SystemExit(main(arguments(sys.argv[1:])))
