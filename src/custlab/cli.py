"""``custlab run / sample / clean / validate / list``.

User errors (:class:`~custlab.errors.CustlabError`) are printed as one clear message with exit
code 2; the traceback goes to the log only. A run with a failed notebook exits 1.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import config
from .errors import CustlabError, RunInterrupted


def _param_files(files: list[str]) -> list[Path]:
    """Parameter files named on the command line, relative to the current folder as in any command
    (a relative path found only under the project root, e.g. ``params/monthly.yaml``, is taken there)."""
    paths = []
    for name in files:
        path = Path(name).expanduser()
        if not path.is_absolute() and (path.exists() or not config.resolve_path(path).exists()):
            path = path.absolute()
        paths.append(path)
    return paths


def _cmd_run(args) -> int:
    from .run import start_workers

    start_workers()  # first, so that the workers' warm-up overlaps the imports below
    from .run import runner

    if not args.files and not config.SAMPLE_DB.exists():
        from .data import sample

        print(f"Generating the sample database {config.SAMPLE_DB} (first run) ...", file=sys.stderr)
        sample.generate(config.SAMPLE_DIR)
    result = runner.run(_param_files(args.files), only=args.only, jobs=args.jobs, timeout=args.timeout, out=args.out)
    print(result.summary())
    print(result.folder / "index.html")
    if result.ok:
        print(f"latest: {Path(args.out or config.REPORTS_DIR) / 'latest' / 'index.html'}")
    return 0 if result.ok else 1


def _cmd_sample(args) -> int:
    from .data import sample

    if args.export:
        from .data import sample_export

        truth = sample_export.export_fresh(Path(args.export).expanduser().absolute(), args.format, args.customers, args.seed)
        print(f"wrote the sample as a {args.format} export to {args.export}: {truth['counts']}; "
              f"run it with: custlab run {Path(args.export) / 'custlab.yaml'}")
        return 0
    out = Path(args.out) if args.out else config.SAMPLE_DIR
    db = out / "crm.duckdb"
    if args.if_missing and db.exists():
        print(f"{db} exists; not regenerated.")
        return 0
    truth = sample.generate(out, customers=args.customers, seed=args.seed)
    print(f"wrote {db} and {out / 'truth.json'}: {truth['counts']}")
    return 0


def _cmd_clean(args) -> int:
    from .data import cleaning

    params = config.load_params("00_data_quality", _param_files(args.files))
    result = cleaning.load_clean(params, _param_files(args.files), cache_dir=config.CACHE_DIR)
    written = cleaning.write_clean(result, Path(args.out).expanduser().absolute())
    recon = result.reconciliation
    for table, row in recon.iterrows():
        print(f"  {table}: {row['input']:,} rows in, {row['kept']:,} kept, {row['merged']:,} merged, "
              f"{row['quarantined']:,} quarantined, {row['exact_duplicates']:,} repeated exactly")
    print(f"wrote {len(written)} files to {Path(args.out).expanduser().absolute()}")
    return 0


def _cmd_validate(args) -> int:
    from .run import runner
    from .data import sources

    notebooks = runner.discover(only=args.only)
    validated = runner.validate(notebooks, _param_files(args.files))
    first = next(iter(validated.values()))
    report = sources.validate_source(first.source, first.columns)
    print(f"parameters of {len(validated)} notebooks are valid.")
    for table, rows in report.items():
        print(f"  {table}: {rows:,} rows, schema ok")
    return 0


def _cmd_list(args) -> int:
    from .run import runner

    reports = Path(args.out) if args.out else config.REPORTS_DIR
    runner.sweep_killed(reports)
    runs = runner.list_runs(reports)
    if not runs:
        print("no runs yet: `custlab run` makes one.")
    for m in runs:
        ok = sum(1 for n in m["notebooks"].values() if n["status"] == "ok")
        print(f"{m['run_id']}  {m['status']:<10} {m['started']}  {ok}/{len(m['notebooks'])} notebooks ok")
    return 0


def _cmd_cache(args) -> int:
    from .run.folders import prune_cache

    reports = Path(args.out) if args.out else config.REPORTS_DIR
    gone = prune_cache(reports, args.keep)
    for folder in gone:
        print(f"removed {folder}")
    print(f"{len(gone)} cache folder(s) removed: not used by the newest {args.keep} run(s) in {reports}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="custlab", description="Customer-research notebooks and reports.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="validate parameters, run notebooks, write a report folder")
    p.add_argument("files", nargs="*", help="parameter files layered over params/ (later wins)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these notebooks")
    p.add_argument("--jobs", type=int, default=None, help="notebooks at once (default: cores)")
    p.add_argument("--timeout", type=float, default=None, help="seconds one notebook may run")
    p.add_argument("--out", default=None, help="reports folder (default: reports/)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("sample", help="generate the sample CRM database with planted truth")
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--out", default=None, help="folder (default: data/sample/)")
    p.add_argument("--if-missing", action="store_true", help="do nothing when the database exists")
    p.add_argument("--export", default=None, metavar="DIR",
                   help="write the sample as a Chinese CRM export (Chinese headers, colloquial values) into DIR instead")
    p.add_argument("--format", default="csv-gbk", choices=("csv-gbk", "xlsx"), help="the export's files (with --export)")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("clean", help="clean the source and write the clean tables (Parquet and CSV) for the CRM")
    p.add_argument("files", nargs="*", help="parameter files layered over params/ (later wins)")
    p.add_argument("--out", required=True, help="folder for the clean tables, reconciliation and merge log")
    p.set_defaults(func=_cmd_clean)

    p = sub.add_parser("validate", help="check parameters and the source without running notebooks")
    p.add_argument("files", nargs="*")
    p.add_argument("--only", nargs="+", metavar="NAME")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("list", help="list runs with their status")
    p.add_argument("--out", default=None)
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("cache", help="manage the table cache (copies of the source's data)")
    p.add_argument("action", choices=("prune",), help="prune: remove cache folders the newest runs did not use")
    p.add_argument("--keep", type=int, default=1, help="runs whose cache folders stay (default 1: the newest)")
    p.add_argument("--out", default=None, help="reports folder whose runs count (default: reports/)")
    p.set_defaults(func=_cmd_cache)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except RunInterrupted as exc:
        print(f"custlab: {exc}", file=sys.stderr)
        return 128 + exc.signum  # as a shell reports a command ended by that signal
    except CustlabError as exc:
        logging.getLogger("custlab").debug("user error", exc_info=True)
        print(f"custlab: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - not the user's mistake: a bug, said so, the traceback in a file
        return _report_bug(exc, args)


def _report_bug(exc: Exception, args) -> int:
    """An unexpected error: one line saying it is a bug, the traceback in reports/errors/ (exit 70)."""
    import datetime as dt
    import traceback

    folder = (Path(args.out) if getattr(args, "out", None) and args.command in ("run", "list", "cache") else config.REPORTS_DIR) / "errors"
    text = "".join(traceback.format_exception(exc))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        where = folder / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{args.command}.log"
        where.write_text(f"custlab {' '.join(sys.argv[1:])}\n{text}", encoding="utf-8")
        told = f"the traceback is in {where}"
    except OSError:
        told = "the traceback could not be written: " + text.strip().splitlines()[-1]
    print(f"custlab: internal error ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). This is a bug "
          f"in custlab, not in your data or parameters; please report it with the log: {told}.", file=sys.stderr)
    return 70  # EX_SOFTWARE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
