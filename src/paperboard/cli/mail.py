"""``paperboard mail-sink`` and ``paperboard digest preview|send``."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import typer

from paperboard.cli.app import app
from paperboard.cli.common import console, context, print_json, progress, stdout
from paperboard.domain.days import DayOutOfRange, within_range
from paperboard.errors import UserError, WorkLeft

digest_app = typer.Typer(help="Digest mail: preview one subscriber's, or send a period's.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return within_range(date.fromisoformat(text))
    except DayOutOfRange as error:
        raise UserError(f"--date: {error}") from None
    except ValueError:
        raise UserError(f"--date must look like 2026-04-14 (YYYY-MM-DD), got {text!r}") from None


@app.command("mail-sink")
def mail_sink(
    port: int = typer.Option(8025, min=1, max=65535, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep it local)."),
    folder: Path = typer.Option(None, help="Where to keep received mail (default: HOME/mail-sink)."),
    quiet: bool = typer.Option(False, "--quiet", help="Do not print a line per received mail."),
) -> None:
    """Run a local SMTP server that keeps every mail it receives as an .eml file (development)."""
    from paperboard.adapters.mail.sink import MailFolder, SinkHandler, start_sink

    ctx = context(migrate=False)
    folder = folder or ctx.settings.mail_sink_dir

    class Announcing(SinkHandler):
        async def handle_DATA(self, server, session, envelope) -> str:
            reply = await super().handle_DATA(server, session, envelope)
            console.print(f"[dim]received[/] {', '.join(envelope.rcpt_tos)}", highlight=False)
            return reply

    handler = SinkHandler(MailFolder(folder)) if quiet else Announcing(MailFolder(folder))
    try:
        controller = start_sink(folder, host, port, handler=handler)
    except (OSError, RuntimeError) as error:
        raise UserError(f"cannot listen on {host}:{port}: {error}. Is another mail sink running? Try --port.") from None
    lines = [
        f"mail sink on {host}:{port}, keeping mail in {folder}  (Ctrl+C to stop)",
        f"send to it with: PAPERBOARD_MAIL_BACKEND=smtp PAPERBOARD_SMTP_HOST={host} PAPERBOARD_SMTP_PORT={port}",
    ]
    if not ctx.settings.mail_dev_view:
        lines.append("read it at /dev/mail with: PAPERBOARD_MAIL_DEV_VIEW=true")
    console.print("\n".join(lines), highlight=False, soft_wrap=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    controller.stop()


@digest_app.command("preview")
def preview(
    email: str = typer.Argument(..., help="A subscriber's address."),
    period: str = typer.Option(None, "--period", help="daily or weekly (default: the subscriber's frequency)."),
    day: str = typer.Option(None, "--date", help="The day whose period to preview (default: today, UTC)."),
    html: bool = typer.Option(False, "--html", help="Print the HTML part instead of the text part."),
) -> None:
    """Show the digest a subscriber would get; nothing is sent or recorded."""
    from paperboard.services.digest import preview_digest

    result = preview_digest(context(), email, frequency=period, day=_day(day))
    if result.status != "confirmed":
        console.print(f"note: {result.email} is {result.status}; only confirmed addresses get digests", highlight=False)
    if result.mail is None:
        console.print(
            f"Nothing new for {result.email} in {result.digest.period.key} "
            f"(papers from {result.digest.window.since} to {result.digest.window.until}); no mail would be sent.",
            highlight=False,
        )
        return
    message = message_from_bytes(result.mail.data, policy=policy.default)
    part = message.get_body(preferencelist=("html",) if html else ("plain",))
    sys.stdout.write(f"Subject: {message['Subject']}\n\n" + part.get_content().replace("\r\n", "\n"))


@digest_app.command("send")
def send(
    period: str = typer.Option(..., "--period", help="daily or weekly."),
    day: str = typer.Option(None, "--date", help="The day whose period to send (default: today, UTC)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be sent; claim and send nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Send the period's digest to every confirmed subscriber who has not had it (safe to rerun).

    Exits 5, with a line saying what is left, when digests of the period are still unsettled
    (sending elsewhere, deferred, in doubt): run it again to finish them.
    """
    from paperboard.services.digest import DigestRun, resolve_period

    ctx = context()
    run_period = resolve_period(period, _day(day) or ctx.today())
    if as_json:
        report = DigestRun(ctx, run_period, dry_run=dry_run).run()
        print_json(report.as_dict())
    else:
        with progress() as bar:
            run = DigestRun(ctx, run_period, dry_run=dry_run, on_wait=lambda line: bar.console.print(line, highlight=False))
            task = bar.add_task(f"{run_period.key}{' (dry run)' if dry_run else ''}", total=run.count_due())
            run.on_progress = lambda n: bar.advance(task, n)
            report = run.run()
        stdout.print(report.summary(), highlight=False)
    if report.work_left:
        raise WorkLeft(report.what_is_left())


@digest_app.command("status")
def status(
    period: str = typer.Option(None, "--period", help="daily or weekly (default: both)."),
    day: str = typer.Option(None, "--date", help="The day whose period to show (default: today, UTC)."),
    as_json: bool = typer.Option(False, "--json", help="Print the ledger as JSON."),
) -> None:
    """Show a period's digest ledger: how many sent, empty, failed…, and the rows needing attention."""
    from paperboard.services.digest import periods_on
    from paperboard.services.digest_report import ledger_status

    ctx = context()
    statuses = [ledger_status(ctx, p) for p in periods_on(_day(day) or ctx.today(), period)]
    if as_json:
        print_json([s.as_dict() for s in statuses])
        return
    for found in statuses:
        counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in sorted(found.counts.items())) or "no digest claimed yet"
        lines = [f"{found.period}: {counts}; {found.due} due and not claimed"]
        lines += ["  " + _attention_line(row) for row in found.attention[:_ROWS_PRINTED]]
        if found.attention_total > _ROWS_PRINTED:
            lines.append(f"  … and {found.attention_total - _ROWS_PRINTED} more (--json lists up to {len(found.attention)})")
        if found.advice:
            lines.append(f"  {found.advice}")
        stdout.print("\n".join(lines), highlight=False, soft_wrap=True)


_ROWS_PRINTED = 20


def _attention_line(row: dict) -> str:
    when = {
        "sending": f"claimed {row['claimed_at']:%Y-%m-%d %H:%M:%S}",
        "deferred": f"next try {row['next_attempt_at']:%Y-%m-%d %H:%M:%S}" if row["next_attempt_at"] else "",
        "in_doubt": f"next try {row['next_attempt_at']:%Y-%m-%d %H:%M:%S}" if row["next_attempt_at"] else "out of attempts",
    }.get(row["status"], "")
    details = [f"attempt {row['attempts']}", when, row["last_error"] or ""]
    return f"{row['status']:<9} {row['subscriber']}  " + "; ".join(d for d in details if d)
