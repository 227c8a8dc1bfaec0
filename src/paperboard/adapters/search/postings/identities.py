"""Which paper each doc id of the postings is, and which doc ids are still live.

A search's match set is counted and ordered over doc ids (the postings' masks), and joined with the
vector leg's papers; both need a paper's doc id and a doc id's paper without a query per paper.
Loaded documents bring their paper id; the files do not keep them, so after a load they are read
once from ``search_documents``. A paper indexed again gets a new doc id, which retires the old one
here; a document gone without a successor (the live count says so) has them read again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


class Identities:
    def __init__(self) -> None:
        self._paper_of: list[str | None] = []  # by doc id
        self._doc_of: dict[str, int] = {}
        self._live = np.zeros(0, bool)
        self.complete = True  # False: some loaded doc ids have no paper yet (loaded from files)

    def reset(self, complete: bool = True) -> None:
        self._paper_of, self._doc_of, self._live = [], {}, np.zeros(0, bool)
        self.complete = complete

    def add(self, pairs: Iterable[tuple[int, str]]) -> None:
        """(doc id, paper id) of documents loaded in doc id order: each retires its paper's older one."""
        for doc_id, paper_id in pairs:
            self._grow(doc_id + 1)
            previous = self._doc_of.get(paper_id)
            if previous is not None and previous != doc_id:
                self._live[previous] = False
                self._paper_of[previous] = None
            self._doc_of[paper_id] = doc_id
            self._paper_of[doc_id] = paper_id
            self._live[doc_id] = True

    def replace(self, pairs: Iterable[tuple[int, str]]) -> None:
        """Every live (doc id, paper id), as the keyword index holds them now."""
        self.reset()
        self.add(sorted(pairs))

    def _grow(self, size: int) -> None:
        if size > len(self._paper_of):
            size = max(size, int(len(self._paper_of) * 1.25))
            self._paper_of.extend([None] * (size - len(self._paper_of)))
            self._live = np.concatenate([self._live, np.zeros(size - len(self._live), bool)])

    @property
    def live_count(self) -> int:
        return len(self._doc_of)

    def live(self, size: int) -> np.ndarray:
        """Which doc ids below ``size`` are live."""
        live = np.zeros(size, bool)
        known = min(size, len(self._live))
        live[:known] = self._live[:known]
        return live

    def papers(self, doc_ids: Sequence[int]) -> list[str]:
        paper_of = self._paper_of
        return [paper_of[doc_id] for doc_id in doc_ids]  # type: ignore[misc]

    def docs(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """paper id → doc id for those of ``paper_ids`` in the postings."""
        found = dict(zip(paper_ids, map(self._doc_of.get, paper_ids)))
        return {paper_id: doc_id for paper_id, doc_id in found.items() if doc_id is not None}
