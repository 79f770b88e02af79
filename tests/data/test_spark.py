"""The same expressions on Spark (local mode): the clean tables read by Spark equal pandas' row for
row, and the customer-level aggregates equal DuckDB's. Needs PySpark and Java (.ci/run installs it);
skipped without them unless CUSTLAB_REQUIRE_SPARK is set (CI sets it)."""
import os
import shutil

import pandas as pd
import pytest

from custlab import config
from custlab.analyses import segments
from custlab.data import cleaning, engine

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        reason = "PySpark is not installed"
    else:
        reason = None if shutil.which("java") or os.environ.get("JAVA_HOME") else "no Java runtime (Debian: default-jre-headless)"
    if reason:
        if os.environ.get("CUSTLAB_REQUIRE_SPARK"):
            pytest.fail(reason)
        pytest.skip(reason)
    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    con = engine.spark("local[2]", "custlab-tests")
    yield con
    con._session.stop()


@pytest.fixture(scope="module")
def clean_folder(small_sample):
    params = config.load_params("40_customer_segments", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})
    folder = cleaning.prepare_clean(params)
    return folder / "tables", cleaning.load_clean(params).as_of


def test_spark_reads_every_clean_table_as_pandas_does(spark, clean_folder):
    tables, _ = clean_folder
    for path in sorted(tables.glob("*.parquet")):
        expected = pd.read_parquet(path)
        got = engine.frame(spark.read_parquet(str(path)))
        assert list(got.columns) == list(expected.columns) and len(got) == len(expected), path.stem
        key = list(expected.columns)
        order = lambda df: df.sort_values(key, na_position="first", ignore_index=True)  # noqa: E731  (Spark keeps no order)
        pd.testing.assert_frame_equal(order(got), order(expected), check_dtype=False, check_exact=False, rtol=1e-12,
                                      obj=path.stem)


def test_behaviour_features_on_spark_equal_duckdbs(spark, clean_folder):
    tables, as_of = clean_folder
    duck = engine.connect()
    expected = segments.behaviour_features(duck.read_parquet(tables / "orders.parquet"),
                                           duck.read_parquet(tables / "interactions.parquet"), as_of)
    got = segments.behaviour_features(spark.read_parquet(str(tables / "orders.parquet")),
                                      spark.read_parquet(str(tables / "interactions.parquet")), as_of)
    assert len(got) > 300
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, check_dtype=False, check_index_type=False,
                                  check_column_type=False)
