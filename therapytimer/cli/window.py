"""`therapytimer gui` (and no command at all): the window, on the context the command line built."""

from __future__ import annotations

import argparse


def cmd_gui(args: argparse.Namespace) -> int:
    from therapytimer.ui.app import main  # Qt is imported only on this path

    return main(args.context)
