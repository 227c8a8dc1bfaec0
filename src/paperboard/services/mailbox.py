"""The development mailbox: what ``paperboard mail-sink`` received, for the /dev/mail pages."""

from __future__ import annotations

from paperboard.adapters.mail.sink import MailFolder
from paperboard.settings import Settings


def dev_mailbox(settings: Settings) -> MailFolder:
    return MailFolder(settings.mail_sink_dir)
