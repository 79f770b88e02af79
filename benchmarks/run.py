"""Runner benchmark: the runner's overhead against notebook execution, and --jobs 2 against --jobs 1.

Runs the demo suite (every notebook in notebooks/ on the sample database) alternately with
--jobs 1 and --jobs 2, REPEATS times each, each as a fresh `custlab run` process (what a user or
the scheduler pays: interpreter start, imports, the worker fork server), and prints medians.

The notebooks' execution time is measured apart from the runner, in the same rounds: each
notebook, with the parameters the runner gives it, executed by nbclient (what Papermill and
JupyterLab execute with) in this process, one after the other; the time from starting its kernel
to its last cell's end, and the kernel's shutdown after it. Overhead is the --jobs 1 wall time
minus the sum of those, over the sum: everything `custlab run` adds (start, validation, cache,
fork server, Papermill, export, manifest, index pages). Two figures: with the kernels' shutdown
counted as notebook time, as Papermill and nbclient count it, and without (stricter: the
runner then has to hide each kernel's shutdown to break even).

Results go to benchmarks/RESULTS.md by hand, with the date and machine. ``--custlab PATH`` runs
another build's command (a worktree of an older commit: PYTHONPATH at its src/) in the same
rounds, for side-by-side figures.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from custlab import config
from custlab.data import sample

REPEATS = 5


def execute_alone(notebook: Path, output_dir: Path) -> tuple[float, float]:
    """Execute one notebook with nbclient alone: (kernel start to last cell, kernel shutdown) seconds."""
    from nbclient import NotebookClient
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = parameterize_notebook(load_notebook_node(str(notebook)),
                               {"param_files": [], "overrides": {"output_dir": str(output_dir)}})
    client = NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(notebook.parent)}})
    t0 = time.perf_counter()
    client.execute(cleanup_kc=False)
    t1 = time.perf_counter()
    client._cleanup_kernel()  # nbclient's own shutdown, as execute() does it by default
    return t1 - t0, time.perf_counter() - t1


def custlab_run(command: list[str], env: dict, jobs: int, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([*command, "run", "--jobs", str(jobs), "--out", str(out)], check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--custlab", help="a worktree of another commit, measured side by side")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    if not config.SAMPLE_DB.exists():
        sample.generate(config.SAMPLE_DIR)
    command = [str(Path(sys.executable).parent / "custlab")]
    builds = {"now": dict(os.environ)}
    if args.custlab:
        builds["other"] = {**os.environ, "PYTHONPATH": str(Path(args.custlab).absolute() / "src")}
    notebooks = sorted(config.NOTEBOOKS_DIR.glob("[0-9]*.ipynb"))
    out = Path(tempfile.mkdtemp(prefix="custlab-bench-"))
    try:
        walls = {(b, j): [] for b in builds for j in (1, 2)}
        cells, stops = [], []
        for env in builds.values():
            custlab_run(command, env, 2, out)  # warm the clean-table cache and the file cache
        for i in range(args.repeats):
            for b, env in builds.items():
                for jobs in (1, 2):
                    walls[b, jobs].append(custlab_run(command, env, jobs, out))
            alone = [execute_alone(nb, out / f"alone-{i}" / nb.stem) for nb in notebooks]
            cells.append(sum(a for a, _ in alone))
            stops.append(sum(s for _, s in alone))
        med = {k: statistics.median(v) for k, v in walls.items()}
        run_to_last_cell, stop = statistics.median(cells), statistics.median(stops)
        print(f"notebooks alone (nbclient): kernel start to last cell {run_to_last_cell:.2f}s, "
              f"kernel shutdown {stop:.2f}s (medians of the per-round sums)")
        for b in builds:
            wall1, wall2 = med[b, 1], med[b, 2]
            with_stop = (wall1 - run_to_last_cell - stop) / (run_to_last_cell + stop)
            strict = (wall1 - run_to_last_cell) / run_to_last_cell
            print(f"{b}: jobs=1 {wall1:.2f}s  jobs=2 {wall2:.2f}s  ratio {wall2 / wall1:.2f}  "
                  f"overhead {with_stop:.1%} (kernel shutdown as notebook time), {strict:.1%} (stricter)")
            print("   raw:", {j: [round(w, 2) for w in walls[b, j]] for j in (1, 2)})
        print("alone raw:", [round(c, 2) for c in cells], [round(s, 2) for s in stops])
        return 0
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
