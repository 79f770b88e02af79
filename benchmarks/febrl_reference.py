"""Reference matches on the public Febrl data by recordlinkage (the Python Record Linkage Toolkit).

Runs in its own environment (recordlinkage 0.16 needs pandas < 3; it is never a custlab
dependency): ``make febrl-reference`` builds it and runs this script.

The comparison rules are those of recordlinkage's deduplication guide (given name, date of birth,
suburb and state equal; surname Jaro-Winkler >= 0.85; address_1 Levenshtein >= 0.85; a match when
more than 3 agree). The candidate pairs are the union of four blocking passes: records sharing a
given name, a surname, a date of birth or a postcode. Writes the matched pairs to
tests/results/febrl<N>_recordlinkage.csv; tests/data/test_matching.py checks that
custlab.data.matching.find_duplicates with the same settings finds the same pairs.
"""
import json
import sys
import time
from pathlib import Path

import pandas as pd
import recordlinkage

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = ["given_name", "surname", "date_of_birth", "postcode"]


def _seconds(n: str) -> float:
    start = time.perf_counter()
    reference(ROOT / "tests" / "data" / "febrl" / f"dataset{n}.csv.gz")
    return time.perf_counter() - start


def reference(path: Path) -> tuple[pd.DataFrame, int]:
    """The matched pairs (left < right) and the number of candidate pairs."""
    df = pd.read_csv(path, skipinitialspace=True, dtype=str, index_col="rec_id")
    pairs = None
    for column in BLOCKS:
        indexer = recordlinkage.Index()
        indexer.block(column)
        found = indexer.index(df)
        pairs = found if pairs is None else pairs.union(found)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    features = compare.compute(pairs, df)
    matches = features[features.sum(axis=1) > 3].index
    out = pd.DataFrame(sorted(tuple(sorted(p)) for p in matches), columns=["left", "right"])
    return out, len(pairs)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--time"]:  # for benchmarks/febrl.py: seconds per data set, nothing written
        print(json.dumps({n: _seconds(n) for n in sys.argv[2:]}))
        sys.exit(0)
    for n in sys.argv[1:] or ["1", "3"]:
        start = time.perf_counter()
        matches, candidates = reference(ROOT / "tests" / "data" / "febrl" / f"dataset{n}.csv.gz")
        seconds = time.perf_counter() - start
        target = ROOT / "tests" / "results" / f"febrl{n}_recordlinkage.csv"
        matches.to_csv(target, index=False)
        print(f"febrl{n}: {candidates} candidate pairs, {len(matches)} matches, {seconds:.2f} s "
              f"(recordlinkage {recordlinkage.__version__}, pandas {pd.__version__}) -> {target.relative_to(ROOT)}")
