"""Helpers every command shares: the context, JSON output, progress bars."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from paperboard.services.context import AppContext, default_context

console = Console(stderr=True)
stdout = Console()


def context(migrate: bool = True) -> AppContext:
    ctx = default_context()
    if migrate:
        ctx.migrate()
    return ctx


def print_json(data) -> None:
    def default(value):
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    sys.stdout.write(json.dumps(data, default=default, indent=2, ensure_ascii=False) + "\n")


def progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
