"""Claiming authorship of a paper (members) and deciding claims (moderators).

A member claims one author slot per paper; the claim waits in ``/moderation`` until a moderator
approves or rejects it. Only one approved claim per slot: the check and the write happen in one
transaction, with the paper's row locked on PostgreSQL. Approved claims show on the paper page
(the author's name links to the member's profile) and on the profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperboard.adapters.store import claims as store
from paperboard.adapters.store.claims import Claim
from paperboard.adapters.store.papers import get_paper
from paperboard.domain.authorship import ClaimRuleError, author_at, check_decision
from paperboard.errors import UserError
from paperboard.services.context import AppContext


class ClaimNotFound(UserError):
    """No claim with this id (decided and deleted with its member, or never made)."""


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    created: bool  # False: the member had made exactly this claim before



def claim(ctx: AppContext, member_id: int, paper_id: str, position: int) -> ClaimResult:
    with ctx.database.write() as connection:
        paper = get_paper(connection, paper_id)
        if paper is None:
            raise UserError(f"This site has no paper {paper_id[:100]}.")
        try:
            name = author_at(paper.authors, position)
        except ClaimRuleError as error:
            raise UserError(str(error)) from None
        if store.add(connection, user_id=member_id, paper_id=paper_id, position=position, author_name=name, now=ctx.now()):
            return ClaimResult(store.of_member_for(connection, member_id, paper_id), created=True)
        earlier = store.of_member_for(connection, member_id, paper_id)
        if earlier.author_position != position:
            raise UserError(
                f"You have already claimed to be {earlier.author_name} on this paper ({earlier.status}); "
                "a member claims one author of a paper."
            )
        return ClaimResult(earlier, created=False)


def decide(ctx: AppContext, moderator_id: int, claim_id: int, decision: str) -> Claim:
    """Record ``decision`` ("approved" or "rejected") on the claim; repeating a decision changes nothing."""
    with ctx.database.write() as connection:
        found = store.get(connection, claim_id)
        if found is None:
            raise ClaimNotFound("There is no such claim (its member may have deleted their account).")
        store.lock_paper(connection, found.paper_id)
        holder = store.slot_holder(connection, found.paper_id, found.author_position)
        try:
            check_decision(decision, slot_taken_by_other=holder is not None and holder != claim_id)
        except ClaimRuleError as error:
            raise UserError(str(error)) from None
        if found.status != decision:
            store.decide(connection, claim_id, status=decision, moderator_id=moderator_id, now=ctx.now())
        return store.get(connection, claim_id)


def pending(ctx: AppContext) -> list[Claim]:
    with ctx.database.read() as connection:
        return store.pending(connection)


def approved_on(ctx: AppContext, paper_id: str) -> dict[int, str]:
    with ctx.database.read() as connection:
        return store.approved_on(connection, paper_id)


def member_claim(ctx: AppContext, member_id: int, paper_id: str) -> Claim | None:
    with ctx.database.read() as connection:
        return store.of_member_for(connection, member_id, paper_id)
