"""The site's one secret: what signs CSRF tokens, session cookies and the links in mail.

``PAPERBOARD_SECRET_KEY`` when it is set (production requires it: see ``Settings``). Otherwise the
zero-configuration start makes one on first use and keeps it in HOME/secret_key (mode 0600), so a
restart, ``paperboard worker`` and every web process of one embedded install share it without
being told. The file is written under a temporary name and linked into place, so it never exists
half-written: two processes starting together both end up with whichever one linked first.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from paperboard.errors import UserError
from paperboard.settings import Settings

FILE_NAME = "secret_key"


def site_secret(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.home) / FILE_NAME
    if not path.exists():
        _create(path)
    secret = path.read_text().strip()
    if not secret:
        raise UserError(f"{path} is empty: delete it (a new key is made on the next start) or set PAPERBOARD_SECRET_KEY")
    return secret


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        os.link(draft, path)  # fails if another process got there first: theirs is kept
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)
