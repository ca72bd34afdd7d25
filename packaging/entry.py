"""The bundle's entry point: the same `main` as the `therapytimer` command."""

from therapytimer.cli import main

raise SystemExit(main())
