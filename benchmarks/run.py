"""Runner benchmark: overhead against notebook execution, and --jobs 2 against --jobs 1.

Runs the demo suite (every notebook in notebooks/ on the sample database) alternately with
--jobs 1 and --jobs 2, REPEATS times each, each as a fresh `custlab run` process (what a user or
the scheduler pays: interpreter start, imports, the worker fork server), and prints medians.
Overhead is the command's wall time minus the notebooks' own execution time: per notebook, from
its worker's start to the end of its last cell (manifest.json), which is the kernel's start, the
cells and Papermill's work around them. The stricter figure counts only the kernel start and the
cells (from Papermill's timestamps in each executed notebook). Results go to
benchmarks/RESULTS.md by hand, with the date and machine.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from custlab import config, sample

REPEATS = 5


def kernel_and_cells(folder: Path, name: str) -> float:
    """Seconds from Papermill's start to the first cell (kernel start) plus the cells' durations."""
    nb = json.loads((folder / f"{name}.ipynb").read_text(encoding="utf-8"))
    stamp = lambda s: dt.datetime.fromisoformat(s).timestamp()  # noqa: E731
    cells = [c["metadata"]["papermill"] for c in nb["cells"]]
    first = min(stamp(c["start_time"]) for c in cells if c.get("start_time"))
    return first - stamp(nb["metadata"]["papermill"]["start_time"]) + sum(c.get("duration") or 0 for c in cells)


def main() -> int:
    if not config.SAMPLE_DB.exists():
        sample.generate(config.SAMPLE_DIR)
    out = Path(tempfile.mkdtemp(prefix="custlab-bench-"))
    try:
        walls = {1: [], 2: []}
        overhead, strict = [], []
        custlab = str(Path(sys.executable).parent / "custlab")

        def run(jobs: int) -> tuple[float, dict]:
            t0 = time.perf_counter()
            subprocess.run([custlab, "run", "--jobs", str(jobs), "--out", str(out)], check=True, capture_output=True)
            wall = time.perf_counter() - t0
            newest = max((p for p in out.iterdir() if p.is_dir() and not p.is_symlink()), key=lambda p: p.name)
            return wall, json.loads((newest / "manifest.json").read_text()), newest

        run(2)  # warm the clean-table cache and the file cache
        for _ in range(REPEATS):
            for jobs in (1, 2):
                wall, manifest, folder = run(jobs)
                assert manifest["status"] == "ok", manifest["status"]
                walls[jobs].append(wall)
                if jobs == 1:
                    nb = manifest["timings"]["notebook_seconds"]
                    overhead.append((wall - nb) / nb)
                    cells = sum(kernel_and_cells(folder, name) for name in manifest["notebooks"])
                    strict.append((wall - cells) / cells)
        med = {j: statistics.median(w) for j, w in walls.items()}
        print(f"jobs=1 median {med[1]:.1f}s  jobs=2 median {med[2]:.1f}s  ratio {med[2] / med[1]:.2f}")
        print(f"runner overhead (jobs=1, wall minus notebook execution, over notebook execution): median {statistics.median(overhead):.1%}")
        print(f"stricter (kernel start and cells only): median {statistics.median(strict):.1%}")
        print("raw:", {j: [round(w, 1) for w in ws] for j, ws in walls.items()}, [f"{o:.1%}" for o in overhead],
              [f"{o:.1%}" for o in strict])
        return 0
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
