"""RFM benchmark (issue #5): value.rfm against the bare DuckDB GROUP BY and against lifetimes.

For 1M, 3M and 10M orders of 1M customers in Parquet, times ``value.rfm(path)`` and the bare
``SELECT customer_id, max(date), count(*), sum(amount) ... GROUP BY`` into a DataFrame, alternated
in one process, REPEATS times each, and reports medians and their ratio. Peak memory of
``value.rfm`` on each file is measured in a fresh child process (VmHWM). lifetimes'
``summary_data_from_transaction_data`` runs in its own environment (benchmarks/lifetimes_env.sh),
given as --lifetimes-python, on the 1M-order file, against ``value.rfm(convention="lifetimes")``.

    python benchmarks/rfm.py [--lifetimes-python PATH] [--sizes 1000000 3000000 10000000]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from custlab.analyses import value

REPEATS = 3
CUSTOMERS = 1_000_000
AS_OF = "2026-06-30"
# the same aggregation written by hand: last order, count and sum per customer up to as_of
BARE = ("SELECT customer_id, max(order_date) AS last_order, count(*) AS frequency, sum(amount) AS monetary "
        "FROM read_parquet('{path}') WHERE order_date < DATE '" + AS_OF + "' + INTERVAL 1 DAY GROUP BY customer_id")


def make_orders(path: Path, n: int, seed: int = 1) -> Path:
    """``n`` orders of CUSTOMERS customers over two years, written as Parquet."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("C", np.char.zfill(rng.integers(0, CUSTOMERS, n).astype(str), 7))
    day = pd.Timestamp("2024-07-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    pd.DataFrame({"order_id": np.arange(n), "customer_id": ids, "order_date": day,
                  "amount": np.round(rng.lognormal(8, 1, n), 2)}).to_parquet(path, index=False)
    return path


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def peak_memory_mb(path: Path) -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so a child of this process
    # (which holds the 10M-row frame it just wrote) would report the parent's size
    code = ("import re, sys; from custlab.analyses import value; value.rfm(sys.argv[1], as_of=sys.argv[2]); "
            "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) / 1024)")
    return float(subprocess.run([sys.executable, "-c", code, str(path), AS_OF], check=True, capture_output=True, text=True).stdout)


LIFETIMES_CODE = """
import sys, time, pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
df = pd.read_parquet(sys.argv[1], columns=["customer_id", "order_date", "amount"])
t0 = time.perf_counter()
summary_data_from_transaction_data(df, "customer_id", "order_date", monetary_value_col="amount",
                                   observation_period_end=sys.argv[2], freq="D")
print(time.perf_counter() - t0)
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000])
    ap.add_argument("--lifetimes-python", default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="custlab-rfm-"))
    try:
        rows = []
        for n in args.sizes:
            path = make_orders(work / f"orders_{n}.parquet", n)
            con = duckdb.connect()
            ours, bare = [], []
            timed(lambda: value.rfm(path, as_of=AS_OF))  # warm the file cache
            for _ in range(REPEATS):
                ours.append(timed(lambda: value.rfm(path, as_of=AS_OF)))
                bare.append(timed(lambda: con.sql(BARE.format(path=path)).df()))
            row = {"orders": n, "rfm_s": statistics.median(ours), "bare_s": statistics.median(bare),
                   "peak_mb": peak_memory_mb(path)}
            row["ratio"] = row["rfm_s"] / row["bare_s"]
            if args.lifetimes_python and n == min(args.sizes):
                ref = [float(subprocess.run([args.lifetimes_python, "-c", LIFETIMES_CODE, str(path), AS_OF], check=True,
                                            capture_output=True, text=True).stdout) for _ in range(REPEATS)]
                mine = [timed(lambda: value.rfm(path, as_of=AS_OF, convention="lifetimes")) for _ in range(REPEATS)]
                row.update(lifetimes_s=statistics.median(ref), ours_lifetimes_s=statistics.median(mine))
                row["speedup_vs_lifetimes"] = row["lifetimes_s"] / row["ours_lifetimes_s"]
            rows.append(row)
            print(json.dumps(row), flush=True)
        print(pd.DataFrame(rows).round(3).to_string(index=False))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
