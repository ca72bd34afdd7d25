"""`python -m therapytimer` behaves exactly like the `therapytimer` command."""

from therapytimer.cli import main

raise SystemExit(main())
