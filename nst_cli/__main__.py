"""``python -m nst_cli``: runs the command line and exits with its code."""

from nst_cli.app import main

raise SystemExit(main())
