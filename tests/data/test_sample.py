import duckdb
import pandas as pd
import pytest

from custlab.data import reference, sample


@pytest.fixture(scope="module")
def db(small_sample):
    con = duckdb.connect(str(small_sample / "crm.duckdb"), read_only=True)
    yield con
    con.close()


def test_same_seed_same_database(small_sample, tmp_path):
    sample.generate(tmp_path, customers=400, seed=7)
    a = duckdb.connect(str(small_sample / "crm.duckdb"), read_only=True)
    b = duckdb.connect(str(tmp_path / "crm.duckdb"), read_only=True)
    for t in ("customers", "orders", "survey", "conjoint_responses", "prospects"):
        pd.testing.assert_frame_equal(a.sql(f"select * from {t}").df(), b.sql(f"select * from {t}").df())
    assert (tmp_path / "truth.json").read_text() == (small_sample / "truth.json").read_text()


def test_companies_look_like_a_chinese_crm(db):
    c = db.sql("select * from customers").df()
    codes = c["credit_code"].dropna()
    assert codes.map(reference.is_valid_credit_code).all()  # dirt never breaks a check character
    assert c["name"].str.contains("有限|集团").mean() > 0.95
    assert set(c["region"]) <= set(reference.REGIONS)
    assert c["phone"].dropna().str.replace(r"\D", "", regex=True).str[-11:].str.match(r"1[3-9]\d{9}").all()


def test_dirt_is_listed_and_present(db, small_truth):
    c = db.sql("select * from customers").df().set_index("customer_id")
    for d in small_truth["duplicates"]:
        orig, dup = c.loc[d["original"]], c.loc[d["customer_id"]]
        if d["kind"] == "exact":
            assert orig.drop(labels=[]).equals(dup) or orig.fillna("∅").equals(dup.fillna("∅"))
        elif isinstance(dup["credit_code"], str):
            assert dup["credit_code"] == orig["credit_code"]
    o = db.sql("select order_id, amount, order_date from orders").df().set_index("order_id")
    negative = [i["order_id"] for i in small_truth["impossible"] if i.get("column") == "amount"]
    assert negative and (o.loc[negative, "amount"] < 0).all()
    assert (o["amount"] < 0).sum() == len(negative)
    for m in small_truth["missing"][:50]:
        assert pd.isna(c.loc[m["customer_id"], m["column"]]) if m["customer_id"] in c.index else True
    units = [u for u in small_truth["unit_mistakes"] if u["table"] == "customers"]
    for u in units:
        assert c.loc[u["customer_id"], "annual_revenue"] == pytest.approx(u["recorded"])


def test_key_accounts_follow_pareto(db, small_truth):
    rev = db.sql("select customer_id, sum(amount) v from orders where amount > 0 and order_date <= '2026-06-30' group by 1").df()
    rev = rev.sort_values("v", ascending=False)
    top = rev.head(int(0.2 * len(rev)))
    assert 0.65 <= top["v"].sum() / rev["v"].sum() <= 0.85
    planted = set(small_truth["key_accounts"]["customer_ids"])
    assert len(planted & set(top["customer_id"])) / len(planted) > 0.8


def test_survey_follows_the_planted_factor_structure(db):
    s = db.sql("select * from survey").df()
    items = s.filter(regex=r"^q\d\d$")
    assert items.shape[1] == 20 and items.isin([1, 2, 3, 4, 5]).all().all()
    corr = items.corr()
    import numpy as np

    block = lambda i, j: corr.iloc[i * 5:(i + 1) * 5, j * 5:(j + 1) * 5].to_numpy()  # noqa: E731
    within = np.mean([block(k, k)[~np.eye(5, dtype=bool)].mean() for k in range(4)])
    between = np.mean([block(i, j).mean() for i in range(4) for j in range(4) if i != j])
    assert within > 0.3 and 0.03 < between < within / 2


def test_decliners_slow_down_in_the_last_quarter(db, small_truth):
    dec = small_truth["decliners"]["customer_ids"]
    assert dec
    q = db.sql(f"""select sum(case when order_date >= '2026-04-01' and order_date <= '2026-06-30' then 1 else 0 end) recent,
                          sum(case when order_date >= '2026-01-01' and order_date < '2026-04-01' then 1 else 0 end) before
                   from orders where customer_id in ({",".join(repr(x) for x in dec)})""").fetchall()[0]
    assert q[0] < 0.4 * q[1]
