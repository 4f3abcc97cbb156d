"""Commands: placeholder wired into cati/cli.py; filled in by the results work."""

from __future__ import annotations

import argparse


def add_commands(commands: argparse._SubParsersAction, report: argparse._SubParsersAction,
                 open_database) -> None:
    """Add this module's commands (top-level ones to ``commands``, report ones to ``report``)."""
