"""Email addresses people type into a form: checked, normalised, never trusted as header text."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

# RFC 5321 limits a forward path to 256 octets, so an address to 254.
MAX_LENGTH = 254


class InvalidEmail(ValueError):
    """The text is not an address we can send to; the message says why, for a person."""


def normalise_email(text: str) -> str:
    """The address in the form we store (lower-cased), or InvalidEmail.

    Control characters are refused before anything else: a CR or LF inside an address is how a
    form is abused to add ``Bcc:`` headers to a mail, and such an address is never legitimate.
    """
    if not isinstance(text, str):
        raise InvalidEmail("enter an email address")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidEmail("an email address cannot contain line breaks or control characters")
    candidate = text.strip()
    if not candidate:
        raise InvalidEmail("enter an email address")
    if len(candidate) > MAX_LENGTH:
        raise InvalidEmail(f"an email address has at most {MAX_LENGTH} characters")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from None
    return result.normalized.lower()
