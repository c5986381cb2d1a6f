"""`python -m bot` is the `okrbot` command."""

from bot.cli import main

raise SystemExit(main())
