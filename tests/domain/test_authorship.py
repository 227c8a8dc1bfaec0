import pytest

from paperboard.domain.authorship import APPROVED, REJECTED, ClaimRuleError, author_at, check_decision

AUTHORS = ("Ada Lovelace", "Charles Babbage")


def test_author_at_names_the_slot():
    assert author_at(AUTHORS, 0) == "Ada Lovelace"
    assert author_at(AUTHORS, 1) == "Charles Babbage"


@pytest.mark.parametrize("position", [-1, 2, 99])
def test_a_slot_outside_the_author_list_is_refused(position):
    with pytest.raises(ClaimRuleError, match="this paper has 2 authors"):
        author_at(AUTHORS, position)


def test_a_paper_without_authors_has_no_slot():
    with pytest.raises(ClaimRuleError, match="has 0 authors"):
        author_at((), 0)


def test_only_one_approved_claim_per_slot():
    check_decision(APPROVED, slot_taken_by_other=False)
    with pytest.raises(ClaimRuleError, match="already approved"):
        check_decision(APPROVED, slot_taken_by_other=True)
    check_decision(REJECTED, slot_taken_by_other=True)


def test_a_decision_is_approve_or_reject():
    with pytest.raises(ClaimRuleError, match="approve or reject"):
        check_decision("maybe", slot_taken_by_other=False)
