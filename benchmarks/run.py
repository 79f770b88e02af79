"""Runner benchmark: overhead against notebook execution, and --jobs 2 against --jobs 1.

Runs the demo suite (every notebook in notebooks/ on the sample database) alternately with
--jobs 1 and --jobs 2, REPEATS times each, each as a fresh `custlab run` process (what a user or
the scheduler pays: interpreter start, imports, the worker fork server), and prints medians.
Overhead is the command's wall time minus the notebooks' own execution time (kernel start and
cells, from manifest.json). Results go to benchmarks/RESULTS.md by hand, with the date and machine.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from custlab import config, sample

REPEATS = 3


def main() -> int:
    if not config.SAMPLE_DB.exists():
        sample.generate(config.SAMPLE_DIR)
    out = Path(tempfile.mkdtemp(prefix="custlab-bench-"))
    walls = {1: [], 2: []}
    overhead = []
    custlab = str(Path(sys.executable).parent / "custlab")

    def run(jobs: int) -> tuple[float, dict]:
        t0 = time.perf_counter()
        subprocess.run([custlab, "run", "--jobs", str(jobs), "--out", str(out)], check=True, capture_output=True)
        wall = time.perf_counter() - t0
        newest = max((p for p in out.iterdir() if p.is_dir() and not p.is_symlink()), key=lambda p: p.name)
        return wall, json.loads((newest / "manifest.json").read_text())

    run(2)  # warm the clean-table cache and the file cache
    for _ in range(REPEATS):
        for jobs in (1, 2):
            wall, manifest = run(jobs)
            assert manifest["status"] == "ok", manifest["status"]
            walls[jobs].append(wall)
            if jobs == 1:
                nb = manifest["timings"]["notebook_seconds"]
                overhead.append((wall - nb) / nb)
    med = {j: statistics.median(w) for j, w in walls.items()}
    print(f"jobs=1 median {med[1]:.1f}s  jobs=2 median {med[2]:.1f}s  ratio {med[2] / med[1]:.2f}")
    print(f"runner overhead (jobs=1, wall minus notebook execution, over notebook execution): median {statistics.median(overhead):.1%}")
    print("raw:", {j: [round(w, 1) for w in ws] for j, ws in walls.items()}, [f"{o:.1%}" for o in overhead])
    return 0


if __name__ == "__main__":
    sys.exit(main())
