"""Duplicate-detection benchmark (issue #4): find_duplicates on a large sample's customers.

Generate the database first (about 9 minutes for a million companies):

    custlab sample --customers 1000000 --out benchmarks/.work/s1m
    python benchmarks/dedupe.py benchmarks/.work/s1m [--fuzzy-only | --min-agree]

Runs the default duplicate settings of params/00_data_quality.yaml once (a single run takes
minutes; repeats would not change the conclusion against a 10-minute target), and reports wall
time of normalization plus matching, peak memory of the process (ru_maxrss, including the loaded
table), and pairwise precision and recall against the planted duplicates in truth.json.

``--min-agree``: no exact key; name, contact, phone and e-mail compared on every pair of records
sharing a 6-character name prefix or a city and contact, and a pair matches when 2 of the 4 agree
(the k-of-n rule for records whose fields may disagree): how the every-pair-in-a-block
comparison scales. (Name, contact and city, 2 of 3, gave P = 0.91 on the 5,000-company sample:
one city and a common contact name such as 王伟 make two companies agree on two fields.)
"""
from __future__ import annotations

import dataclasses
import json
import resource
import sys
import time
from pathlib import Path

import duckdb

from custlab import config
from custlab.data import matching


def pairwise(clusters) -> set:
    pairs = set()
    for ids in clusters.groupby(clusters).groups.values():
        ids = sorted(ids)
        if len(ids) > 1:
            pairs |= {(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]}
    return pairs


def main(folder: str, mode: str = "") -> int:
    folder = Path(folder)
    settings = config.load_params("00_data_quality").cleaning.duplicates
    if mode == "--fuzzy-only":  # how far the blocked fuzzy comparison alone gets, without any exact key
        settings = dataclasses.replace(settings, exact=[])
    if mode == "--min-agree":
        settings = dataclasses.replace(settings, exact=[], fuzzy={"name": 0.9, "contact": 0.8, "phone": 1.0, "email": 1.0}, min_agree=2,
                                       block=["name:6", "city+contact"])
    con = duckdb.connect(str(folder / "crm.duckdb"), read_only=True)
    customers = con.sql("SELECT * FROM customers").df().set_index("customer_id")
    print(f"{len(customers):,} customer records", flush=True)
    t0 = time.perf_counter()
    found = matching.find_duplicates(customers, exact=settings.exact, fuzzy=settings.fuzzy, block=settings.block,
                                     distinct=settings.distinct, max_key_group=settings.max_key_group,
                                     similarity=settings.similarity, min_agree=settings.min_agree, max_pairs=settings.max_pairs)
    wall = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    true = {tuple(sorted((d["customer_id"], d["original"]))) for d in truth["duplicates"]}
    got = pairwise(found.clusters)
    hit = len(got & true)
    print(json.dumps({"records": len(customers), "seconds": round(wall, 1), "peak_gb": round(peak_gb, 2),
                      "pairs_found": len(got), "pairs_true": len(true), "precision": round(hit / max(len(got), 1), 4),
                      "recall": round(hit / len(true), 4), "by_rule": found.summary()["pairs"].to_dict()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], (sys.argv[2:] or [""])[0]))
