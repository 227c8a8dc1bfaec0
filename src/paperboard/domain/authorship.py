"""Authorship claims as rules. Pure.

A member claims one author slot (0-based position in the paper's author list) of a paper; a
moderator approves or rejects. A slot has at most one approved claim, and a member claims a
paper once (the ``author_claims`` table's unique (member, paper) says so too).
"""

from __future__ import annotations

from collections.abc import Sequence

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
DECISIONS = (APPROVED, REJECTED)


class ClaimRuleError(ValueError):
    """A claim or decision the rules turn down; the message is for a person."""


def author_at(authors: Sequence[str], position: int) -> str:
    """The name in slot ``position``, or ClaimRuleError when the paper has no such slot."""
    if not 0 <= position < len(authors):
        raise ClaimRuleError(f"this paper has {len(authors)} author{'' if len(authors) == 1 else 's'}; pick one of them")
    return authors[position]


def check_decision(decision: str, *, slot_taken_by_other: bool) -> None:
    """Whether a moderator may record ``decision`` on a claim.

    A moderator may change their mind either way, and deciding the same way twice changes
    nothing; only approving a claim to a slot another member already holds is refused.
    """
    if decision not in DECISIONS:
        raise ClaimRuleError(f"a decision is approve or reject, not {decision!r}")
    if decision == APPROVED and slot_taken_by_other:
        raise ClaimRuleError("another member's claim to this author slot is already approved; reject that one first")
