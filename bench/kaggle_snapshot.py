"""Write an N-record file in the Kaggle ``arxiv-metadata-oai-snapshot.json`` format (issue 18).

    python bench/kaggle_snapshot.py [--records 2900000] [--seed 18] [--out bench/results/kaggle-snapshot-2900000.json]

One JSON object per line, with the snapshot's fields in its order: id, submitter, authors, title,
comments, journal-ref, doi, report-no, categories, license, abstract, versions [{version, created}],
update_date, authors_parsed. Text comes from the 19,883 real papers of
../shared/eval/arxiv-listings-2026-03-to-05, recombined: the title of one paper, abstract sentences
of others (as many as some real abstract has), authors drawn from every list, categories of one
paper. Ids follow arXiv's schemes and a growth curve close to arXiv's submissions per month: old
style ``archive/YYMMNNN`` from August 1991 to March 2007 (at most 999 per archive and month), then
``YYMM.NNNN`` to 2014 and ``YYMM.NNNNN`` after. The file lists the new-style ids in order, then the
old-style ones by archive, as the snapshot does. Versions (1-5) follow the first one by days to
years; titles and abstracts are wrapped at 80 columns as arXiv's metadata is. Seeded: the same
arguments write the same bytes. The output belongs in a git-ignored place (bench/results/).
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import json
import random
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "arxiv-listings-2026-03-to-05"
DEFAULT_RECORDS = 2_900_000
FIRST_MONTH, LAST_MONTH = (1991, 8), (2026, 5)
NEW_STYLE_FROM = (2007, 4)
FIVE_DIGITS_FROM = 2015
# Submissions per month at some points in time (arXiv's statistics, rounded); the months between
# are interpolated, and the whole curve scaled to the records asked for.
_PER_MONTH = [(1991.6, 60), (1993, 900), (1996, 1800), (2000, 2700), (2004, 3700), (2007, 5000),
              (2010, 6500), (2014, 8700), (2018, 11500), (2021, 15000), (2024, 20000), (2026.4, 24000)]
# Archives of the old scheme, weighted roughly as their share before 2007.
_OLD_ARCHIVES = [("hep-th", 12), ("hep-ph", 14), ("astro-ph", 20), ("cond-mat", 22), ("math", 14),
                 ("quant-ph", 6), ("gr-qc", 4), ("nucl-th", 3), ("hep-ex", 2), ("physics", 5), ("cs", 3),
                 ("math-ph", 2), ("nlin", 2), ("hep-lat", 2), ("nucl-ex", 1), ("q-bio", 1)]
_SUBJECT = {"math": ["AG", "CO", "PR", "NT", "DG", "AP", "GT", "FA"], "cs": ["LG", "DS", "IT", "CC", "LO"],
            "physics": ["optics", "flu-dyn", "soc-ph", "gen-ph"], "cond-mat": ["stat-mech", "str-el", "mes-hall", "soft"],
            "astro-ph": [], "nlin": ["CD", "PS"], "q-bio": ["PE", "NC"]}
_LICENSES = [None, "http://arxiv.org/licenses/nonexclusive-distrib/1.0/", "http://creativecommons.org/licenses/by/4.0/",
             "http://creativecommons.org/licenses/by-nc-sa/4.0/", "http://creativecommons.org/licenses/by-sa/4.0/",
             "http://creativecommons.org/publicdomain/zero/1.0/", "http://creativecommons.org/licenses/by-nc-nd/4.0/"]
_JOURNALS = ["Phys. Rev. D", "Phys. Rev. Lett.", "JHEP", "Astrophys. J.", "Nucl. Phys. B", "Phys. Lett. B",
             "J. Math. Phys.", "Mon. Not. Roy. Astron. Soc.", "IEEE Trans. Inf. Theory", "Commun. Math. Phys."]
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


class Pools:
    """What the records are drawn from: the sample's parts, loaded once."""

    def __init__(self, sample: Path) -> None:
        files = sorted(sample.glob("papers-*.jsonl.gz"))
        if not files:
            sys.exit(f"no sample in {sample}")
        self.titles: list[str] = []
        self.sentences: list[str] = []
        self.sentence_counts: list[int] = []
        self.authors: list[str] = []
        self.author_counts: list[int] = []
        self.categories: list[list[str]] = []
        self.comments: list[str] = []
        for path in files:
            with gzip.open(path, "rt", encoding="utf-8") as lines:
                for line in lines:
                    paper = json.loads(line)
                    self.titles.append(" ".join(paper["title"].split()))
                    sentences = [s for s in _SENTENCE_END.split(" ".join(paper["abstract"].split())) if s]
                    self.sentences.extend(sentences)
                    self.sentence_counts.append(max(1, len(sentences)))
                    self.authors.extend(paper["authors"])
                    self.author_counts.append(max(1, len(paper["authors"])))
                    self.categories.append(paper["categories"])
                    if paper.get("comment"):
                        self.comments.append(" ".join(paper["comment"].split()))


def months(records: int) -> list[tuple[int, int, int]]:
    """(year, month, papers) from FIRST_MONTH to LAST_MONTH, the growth curve scaled to ``records``."""
    points = [(year, rate) for year, rate in _PER_MONTH]
    span = []
    year, month = FIRST_MONTH
    while (year, month) <= LAST_MONTH:
        t = year + (month - 1) / 12
        i = max(1, min(len(points) - 1, bisect.bisect_left([p[0] for p in points], t)))
        (t0, r0), (t1, r1) = points[i - 1], points[i]
        span.append((year, month, max(0.0, r0 + (r1 - r0) * (t - t0) / (t1 - t0))))
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    scale = records / sum(rate for *_, rate in span)
    counts = [int(rate * scale) for *_, rate in span]
    for i in range(records - sum(counts)):  # what rounding left over, to the latest months
        counts[-1 - i % len(counts)] += 1
    return [(y, m, n) for (y, m, _), n in zip(span, counts)]


def rfc2822(moment: datetime) -> str:
    return (f"{_DAYS[moment.weekday()]}, {moment.day} {_MONTHS[moment.month - 1]} {moment.year} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} GMT")


def wrapped(text: str, width: int = 80, indent: str = "") -> str:
    """``text`` broken at spaces into lines of at most ``width`` (arXiv's metadata comes so)."""
    lines, start = [], 0
    while len(text) - start > width:
        cut = text.rfind(" ", start, start + width)
        if cut <= start:
            cut = text.find(" ", start + width)
            if cut < 0:
                break
        lines.append(text[start:cut])
        start = cut + 1
    lines.append(text[start:])
    return ("\n" + indent).join(lines)


class Writer:
    """Records one after another, all randomness from one seeded generator."""

    def __init__(self, pools: Pools, seed: int) -> None:
        self.pools, self.random = pools, random.Random(seed)
        self.old_weights = [w for _, w in _OLD_ARCHIVES]
        self.old_names = [a for a, _ in _OLD_ARCHIVES]

    def record(self, paper_id: str, first: datetime, archive: str | None) -> dict:
        rnd, pools = self.random, self.pools
        categories = list(pools.categories[rnd.randrange(len(pools.categories))])
        if archive is not None:  # an old-style id names its archive, the primary category
            subjects = _SUBJECT.get(archive)
            primary = f"{archive}.{rnd.choice(subjects)}" if subjects else archive
            categories = [primary, *categories[1:2]]
        authors = rnd.sample(pools.authors, pools.author_counts[rnd.randrange(len(pools.author_counts))])
        parsed = [[name.rpartition(" ")[2], name.rpartition(" ")[0], ""] for name in authors]
        abstract = " ".join(rnd.choices(pools.sentences, k=pools.sentence_counts[rnd.randrange(len(pools.sentence_counts))]))
        versions, moment = [], first
        for number in range(1, 1 + min(5, int(rnd.paretovariate(2.2)))):
            if number > 1:
                moment += timedelta(days=rnd.randrange(1, 400), seconds=rnd.randrange(86_400))
            versions.append({"version": f"v{number}", "created": rfc2822(moment)})
        update = moment.date() + timedelta(days=rnd.randrange(0, 30))
        year = first.year
        has_journal = rnd.random() < (0.45 if year < 2015 else 0.2)
        doi = f"10.{rnd.randrange(1000, 9999)}/{rnd.randrange(10**6, 10**7)}" if has_journal and rnd.random() < 0.8 else None
        return {
            "id": paper_id,
            "submitter": authors[0],
            "authors": ", ".join(authors[:-1]) + (" and " if len(authors) > 1 else "") + authors[-1],
            "title": wrapped(pools.titles[rnd.randrange(len(pools.titles))], 70, "  "),
            "comments": pools.comments[rnd.randrange(len(pools.comments))] if rnd.random() < 0.5 else None,
            "journal-ref": f"{rnd.choice(_JOURNALS)} {rnd.randrange(1, 120)} ({year + rnd.randrange(0, 2)}) "
                           f"{rnd.randrange(1, 9999)}" if has_journal else None,
            "doi": doi,
            "report-no": f"PREPRINT-{year}-{rnd.randrange(1, 999):03d}" if rnd.random() < 0.04 else None,
            "categories": " ".join(categories),
            "license": None if year < 2004 else rnd.choice(_LICENSES),
            "abstract": "  " + wrapped(abstract) + "\n",
            "versions": versions,
            "update_date": update.isoformat(),
            "authors_parsed": parsed,
        }

    def moment_in(self, year: int, month: int) -> datetime:
        rnd = self.random
        return datetime(year, month, 1 + rnd.randrange(28), rnd.randrange(24), rnd.randrange(60), rnd.randrange(60))

    def new_style(self, schedule):
        for year, month, count in schedule:
            if (year, month) < NEW_STYLE_FROM:
                continue
            digits = 5 if year >= FIVE_DIGITS_FROM else 4
            for number in range(1, min(count, 10**digits - 1) + 1):
                yield self.record(f"{year % 100:02d}{month:02d}.{number:0{digits}d}", self.moment_in(year, month), None)

    def old_style(self, schedule):
        """Old-style records by archive, then by number; each archive holds 999 a month at most."""
        plans: dict[str, list[tuple[int, int, int]]] = {name: [] for name in self.old_names}
        for year, month, count in schedule:
            if (year, month) >= NEW_STYLE_FROM:
                continue
            used = dict.fromkeys(self.old_names, 0)
            for _ in range(count):
                archive = self.random.choices(self.old_names, self.old_weights)[0]
                while used[archive] >= 999:
                    archive = self.old_names[(self.old_names.index(archive) + 1) % len(self.old_names)]
                used[archive] += 1
            for archive, n in used.items():
                if n:
                    plans[archive].append((year, month, n))
        for archive in sorted(plans):
            for year, month, n in sorted(plans[archive], key=lambda p: f"{p[0] % 100:02d}{p[1]:02d}"):  # as the ids sort
                for number in range(1, n + 1):
                    yield self.record(f"{archive}/{year % 100:02d}{month:02d}{number:03d}",
                                      self.moment_in(year, month), archive)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--out", type=Path, help="default bench/results/kaggle-snapshot-RECORDS.json")
    args = parser.parse_args()
    out = args.out or Path(__file__).resolve().parent / "results" / f"kaggle-snapshot-{args.records}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    pools = Pools(SAMPLE)
    writer = Writer(pools, args.seed)
    schedule = months(args.records)
    partial = out.with_name(f".{out.name}.partial")
    written = 0
    encode = json.JSONEncoder(ensure_ascii=True).encode
    with open(partial, "w", encoding="utf-8", buffering=4 * 2**20) as stream:
        for generated in (writer.new_style(schedule), writer.old_style(schedule)):
            for record in generated:
                stream.write(encode(record))
                stream.write("\n")
                written += 1
                if written % 100_000 == 0:
                    rate = written / (time.perf_counter() - started)
                    print(f"\r{written:,} / {args.records:,} records ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    partial.replace(out)
    seconds = time.perf_counter() - started
    print(f"\r{written:,} records, {out.stat().st_size / 2**20:,.0f} MiB, in {seconds:.0f} s: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
