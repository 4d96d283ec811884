"""`python -m wetnode` is the `ww` command."""

from wetnode.cli import main

raise SystemExit(main())
