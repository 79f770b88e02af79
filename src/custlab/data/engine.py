"""Order-level work as relational expressions, written once and run by the engine that holds the
data: DuckDB (embedded, the default), PostgreSQL where the user's database is, Spark beyond one
machine (:func:`spark`; the runner does not start it from params yet, see issue #19).

The portable layer is Ibis: one expression compiles to each engine's SQL (through SQLGlot) or
DataFrame API, and customer-level results come back as pandas frames. Ibis was chosen over
SQLGlot-transpiled SQL because its expressions compose in Python (a filter, then a grouping, then
a join, each a value), are typed against the table's schema before anything runs, and Ibis
maintains the DuckDB, PostgreSQL and PySpark backends itself; SQLGlot alone would leave custlab
writing SQL text and handling each engine's connection and result types.

An analysis takes ``orders`` as an Ibis table or a pandas frame (:func:`relation` turns a frame
into a table the default engine reads in place), and aggregates with expressions; only one row
per customer is ever materialized in pandas.
"""
from __future__ import annotations

import contextlib
import functools
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd


def relation(data: "pd.DataFrame | ir.Table") -> "ir.Table":
    """``data`` as an Ibis table: an Ibis table as it is (bound to its engine), a pandas frame as an
    in-memory table that the default engine (DuckDB) reads without copying."""
    import ibis
    import ibis.expr.types as ir

    if isinstance(data, ir.Table):
        return data
    with _quietly():
        return ibis.memtable(data)


def connect(url: str | None = None):
    """An Ibis backend: DuckDB in memory by default (one per process), or the database at ``url`` (an Ibis or
    SQLAlchemy-style URL such as ``postgres://user@host:5432/db``; ``postgresql+psycopg://`` is
    read as ``postgres://``)."""
    import ibis

    if url is None:
        return _default()
    scheme, _, rest = url.partition("://")
    if scheme.split("+")[0] == "postgresql":
        url = "postgres://" + rest
    return ibis.connect(url)


@functools.cache
def _default():
    """This process's DuckDB backend, shared: the clean tables one notebook reads can be joined, and
    the backend (0.7 s to import and start) starts once."""
    import ibis

    return ibis.duckdb.connect()


def spark(master: str = "local[*]", app: str = "custlab"):
    """An Ibis backend on a Spark session (``master``: ``local[*]`` on this machine, or a cluster's
    ``spark://host:7077``, ``yarn``). Needs PySpark and a Java runtime. Times are read as written
    (naive, the business's local time): the session's time zone is UTC so that none is shifted."""
    import ibis
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master(master).appName(app)
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "8" if master.startswith("local") else "200")
               .getOrCreate())
    return ibis.pyspark.connect(session)


@contextlib.contextmanager
def _quietly():
    """Ibis 12 reads pandas' ``future.infer_string`` option and calls DuckDB's ``fetch_arrow_table``,
    which pandas 3 and DuckDB 2 deprecate with a warning per call: they would fill every report's
    output. Nothing of custlab's depends on either (pandas 3 infers strings anyway)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The 'future.infer_string' option is deprecated")
        warnings.filterwarnings("ignore", message=r"fetch_arrow_table\(\) is deprecated")
        yield


def frame(expr: "ir.Table") -> "pd.DataFrame":
    """Run ``expr`` on its engine and return the (customer-level) result as a pandas frame."""
    with _quietly():
        return expr.to_pandas()


def scalar(expr) -> Any:
    """Run a scalar expression (a count, a latest date) on its engine and return a Python value."""
    with _quietly():
        return expr.to_pyarrow().as_py()


def rows(data: "pd.DataFrame | ir.Table") -> int:
    """Rows of a frame (its length) or of an Ibis table (counted by its engine)."""
    import pandas as pd

    return len(data) if isinstance(data, pd.DataFrame) else int(scalar(data.count()))
