"""Runner benchmark: overhead against notebook execution, and --jobs 2 against --jobs 1.

Runs the demo suite (every notebook in notebooks/ on the sample database) alternately with
--jobs 1 and --jobs 2, REPEATS times each, in one process, and prints medians. Results go to
benchmarks/RESULTS.md by hand, with the date and machine.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from custlab import config, runner, sample

REPEATS = 3


def main() -> int:
    if not config.SAMPLE_DB.exists():
        sample.generate(config.SAMPLE_DIR)
    out = Path(tempfile.mkdtemp(prefix="custlab-bench-"))
    walls = {1: [], 2: []}
    overhead = []
    runner.run(out=out, jobs=2, progress=lambda *a, **k: None)  # warm the table cache
    for _ in range(REPEATS):
        for jobs in (1, 2):
            t0 = time.perf_counter()
            result = runner.run(out=out, jobs=jobs, progress=lambda *a, **k: None)
            wall = time.perf_counter() - t0
            assert result.ok, result.summary()
            walls[jobs].append(wall)
            if jobs == 1:
                m = json.loads((result.folder / "manifest.json").read_text())
                nb = m["timings"]["notebook_seconds"]
                overhead.append((wall - nb) / nb)
    med = {j: statistics.median(w) for j, w in walls.items()}
    print(f"jobs=1 median {med[1]:.1f}s  jobs=2 median {med[2]:.1f}s  ratio {med[2] / med[1]:.2f}")
    print(f"runner overhead (jobs=1, wall minus notebook execution, over notebook execution): median {statistics.median(overhead):.1%}")
    print("raw:", {j: [round(w, 1) for w in ws] for j, ws in walls.items()}, [f"{o:.1%}" for o in overhead])
    return 0


if __name__ == "__main__":
    sys.exit(main())
