"""The sample database written as a real Chinese CRM export, with the sample's truth.

:func:`export` turns a generated sample (``crm.duckdb`` and ``truth.json``, see
:mod:`custlab.data.sample`) into what users actually load: one file per table, Chinese headers, GBK
CSV or Excel, colloquial industries (汽车制造, 软件开发), short province names and county-level
cities, revenue in 万元 (some values as 1.5亿), money as ￥12,000.00 and 12,000.00元, dates as
2024年1月5日 or 2024/1/5, Chinese interaction words (官网访问, 参加活动), phone extensions, an
order status with cancelled orders added, branch offices (分公司, 办事处) sharing their head office's
phone, a blank column and rows repeated exactly. The sample's
own dirt (duplicates without credit code, unit mistakes, impossible values) stays as it is.

The truth is the sample's truth: every planted key account, duplicate and decliner keeps its id.
What the export adds is listed under ``export`` in its ``truth.json``: the rows repeated exactly,
the cancelled orders (not revenue), the county-level cities written in place of their
prefecture, and the branches (branch id -> head office id). ``custlab.yaml`` beside the files is a parameter file that reads the folder.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from . import reference
from ..report import atomic_write, atomic_write_json

FORMATS = ("csv-gbk", "xlsx")

CUSTOMER_HEADERS = {"customer_id": "客户编号", "name": "客户全称", "credit_code": "统一社会信用代码", "phone": "联系方式",
                    "email": "电子邮箱", "contact": "联系人", "industry": "所属行业", "province": "所在省份", "city": "所在城市",
                    "region": "大区", "employees": "员工人数", "annual_revenue": "年营业收入(万元)", "registered_date": "成立日期",
                    "channel": "获客渠道"}
ORDER_HEADERS = {"order_id": "订单编号", "customer_id": "客户编号", "order_date": "下单日期", "amount": "订单金额",
                 "product": "产品名称", "category": "产品类别", "quantity": "数量", "status": "订单状态"}
INTERACTION_HEADERS = {"customer_id": "客户编号", "date": "互动日期", "kind": "互动类型", "count": "次数"}
PROSPECT_HEADERS = {"prospect_id": "潜客编号", "name": "企业名称", "credit_code": "统一社会信用代码", "province": "省份",
                    "city": "城市", "region": "区域", "employees": "人员规模", "annual_revenue": "年营业收入(万元)",
                    "registered_date": "注册日期", "industry": "行业类别"}
SURVEY_HEADERS = {"customer_id": "客户编号", "satisfaction": "满意度", "loyalty": "忠诚度"}
#: the sample's interaction kinds as exports write them
KIND_WORDS = {"visit": ("官网访问", "网站访问", "浏览"), "event": ("参加活动", "展会", "研讨会"),
              "call": ("电话", "来电", "外呼"), "email": ("邮件", "电子邮件"), "meeting": ("拜访", "上门")}
KEPT_WORDS = ("已完成", "已完成", "已完成", "已签收", "完成")
SHARES = {"exact_customers": 0.01, "exact_orders": 0.005, "cancelled_orders": 0.02, "county_city": 0.3,
          "colloquial_industry": 0.7, "short_province": 0.5, "phone_extension": 0.1, "revenue_own_unit": 0.1,
          "branches": 0.02}


def _colloquial_industries() -> dict[str, list[str]]:
    """Per GB/T 4754 section, the words people write for its divisions (names without 业, synonyms)."""
    table = reference.industries().dropna(subset=["division"])
    out: dict[str, list[str]] = {}
    for row in table.itertuples():
        words = [row.name.removesuffix("业")] + [s for s in (row.synonyms or "").split("|") if s and not s.isascii()]
        out.setdefault(row.section, []).extend(w for w in words if 2 <= len(w) <= 8 and "、" not in w)
    return out


def _county_cities() -> dict[str, list[str]]:
    """Prefecture-level city -> its county-level cities (昆山市 under 苏州市)."""
    places = reference.places()
    county = places[(places["level"] == "county") & places["name"].str.endswith("市")]
    return county.groupby("prefecture")["name"].apply(list).to_dict()


def _money(rng, values: pd.Series) -> pd.Series:
    """Amounts as exports write them: 12000.00, 12,000.00元 or ￥12,000.00, and a negative one in
    accounting brackets, (1,200.00), where grouped."""
    style = rng.integers(0, 3, len(values))
    places = np.where((values.abs() * 100).round(6) % 1 == 0, 2, 4)  # the sample's 万元 mistakes carry 4 decimals
    grouped = pd.Series([f"{abs(v):,.{p}f}" for v, p in zip(values, places)], index=values.index)
    plain = pd.Series([f"{v:.{p}f}" for v, p in zip(values, places)], index=values.index)
    written = np.select([style == 0, style == 1], [plain, grouped + "元"], "￥" + grouped)
    out = pd.Series(written, index=values.index, dtype=object)
    negative = (values < 0).to_numpy() & (style != 0)
    out[negative] = "(" + grouped[negative] + ")"
    return out


def _dates(rng, values: pd.Series) -> pd.Series:
    style = rng.integers(0, 3, len(values))
    d = pd.to_datetime(values)
    chinese = d.dt.year.astype("Int64").astype(str) + "年" + d.dt.month.astype("Int64").astype(str) + "月" + d.dt.day.astype("Int64").astype(str) + "日"
    slash = d.dt.strftime("%Y/%-m/%-d")
    iso = d.dt.strftime("%Y-%m-%d")
    return iso.where(style == 0, chinese.where(style == 1, slash)).where(d.notna(), "")


def _revenue_wan(rng, values: pd.Series) -> pd.Series:
    """Revenue in a 万元 column: 1234.5678 (万元), a tenth with their own unit (1.5亿, 800万)."""
    own = rng.uniform(size=len(values)) < SHARES["revenue_own_unit"]
    wan = values.map(lambda v: f"{v / 1e4:.4f}".rstrip("0").rstrip(".") if pd.notna(v) else "")
    yi = values.map(lambda v: (f"{v / 1e8:.8f}".rstrip("0").rstrip(".") + "亿") if pd.notna(v) and v >= 1e8
                    else (f"{v / 1e4:.4f}".rstrip("0").rstrip(".") + "万" if pd.notna(v) else ""))
    return wan.mask(own & values.notna().to_numpy(), yi)


def _branches(rng, c: pd.DataFrame, avoid: set, export_truth: dict) -> pd.DataFrame:
    """Branch offices of some customers (华信科技有限公司上海分公司), as CRMs hold them: the head
    office's phone, a city of their own, no orders and no credit code here. None of them is a
    planted duplicate: a branch must stay a customer of its own."""
    heads = c[~c["customer_id"].isin(avoid) & c["name"].notna()]
    heads = heads.iloc[np.flatnonzero(rng.uniform(size=len(heads)) < SHARES["branches"])]
    cities = reference.places().query("level == 'prefecture'")["name"].str.removesuffix("市").tolist()
    branch = heads.assign(customer_id="F" + heads["customer_id"].astype(str), credit_code=None, email=None, contact=None,
                          annual_revenue=np.nan, employees=np.nan)
    places = [cities[i] for i in rng.integers(0, len(cities), len(branch))]
    branch["city"] = [p + "市" for p in places]
    branch["province"] = None
    branch["name"] = [f"{name}{place}{'分公司' if k else '办事处'}" for name, place, k in
                      zip(branch["name"], places, rng.uniform(size=len(branch)) < 0.7)]
    export_truth["branches"] = dict(zip(branch["customer_id"], heads["customer_id"]))
    return branch


def _customers(rng, c: pd.DataFrame, export_truth: dict, avoid: set = frozenset()) -> pd.DataFrame:
    out = pd.concat([c, _branches(rng, c, avoid, export_truth)], ignore_index=True)
    words = _colloquial_industries()
    sections = reference.match_industry(out["industry"])["section"]
    colloquial = (rng.uniform(size=len(out)) < SHARES["colloquial_industry"]) & sections.notna().to_numpy()
    out.loc[colloquial, "industry"] = [words[s][rng.integers(0, len(words[s]))] for s in sections[colloquial]]
    provinces = reference.places().query("level == 'province'").set_index("name")
    short = (rng.uniform(size=len(out)) < SHARES["short_province"]) & out["province"].notna().to_numpy()
    out.loc[short, "province"] = out.loc[short, "province"].map(
        lambda p: reference.PROVINCE_SUFFIX.sub("", p) if p in provinces.index else p)
    counties = _county_cities()
    full_city = out["city"].map(lambda v: v if not isinstance(v, str) or v.endswith("市") else v + "市")
    swap = (rng.uniform(size=len(out)) < SHARES["county_city"]) & full_city.isin(list(counties)).to_numpy()
    county = [counties[p][rng.integers(0, len(counties[p]))] for p in full_city[swap]]
    export_truth["county_cities"] = {i: {"written": w, "prefecture": p}
                                     for i, w, p in zip(out.loc[swap, "customer_id"], county, full_city[swap])}
    out.loc[swap, "city"] = county
    ext = (rng.uniform(size=len(out)) < SHARES["phone_extension"]) & out["phone"].notna().to_numpy()
    out.loc[ext, "phone"] = out.loc[ext, "phone"] + "转" + pd.Series(rng.integers(100, 999, ext.sum()).astype(str), index=out.index[ext])
    out["annual_revenue"] = _revenue_wan(rng, out["annual_revenue"])
    out["registered_date"] = _dates(rng, out["registered_date"])
    out["employees"] = out["employees"].astype("Int64").astype("string").fillna("")
    out = out.drop(columns=["region"]).rename(columns=CUSTOMER_HEADERS)
    out["备注"] = ""  # an entirely blank column, as exports have
    repeat = rng.uniform(size=len(out)) < SHARES["exact_customers"]
    export_truth["exact_customer_rows"] = out.loc[repeat, "客户编号"].tolist()
    return _interleave(rng, out, out[repeat])


def _orders(rng, o: pd.DataFrame, export_truth: dict) -> pd.DataFrame:
    out = o.copy()
    out["status"] = np.array(KEPT_WORDS)[rng.integers(0, len(KEPT_WORDS), len(out))]
    n_cancel = int(len(out) * SHARES["cancelled_orders"])
    cancelled = out.sample(n_cancel, random_state=int(rng.integers(0, 2**31))).assign(status="已取消")
    cancelled["order_id"] = [f"X{i:09d}" for i in range(1, n_cancel + 1)]
    export_truth["cancelled_orders"] = cancelled["order_id"].tolist()
    out = pd.concat([out, cancelled], ignore_index=True)
    out["amount"] = _money(rng, out["amount"])
    out["order_date"] = _dates(rng, out["order_date"])
    out = out.rename(columns=ORDER_HEADERS)
    repeat = rng.uniform(size=len(out)) < SHARES["exact_orders"]
    export_truth["exact_order_rows"] = out.loc[repeat, "订单编号"].tolist()
    return _interleave(rng, out, out[repeat])


def _interactions(rng, i: pd.DataFrame) -> pd.DataFrame:
    out = i.copy()
    out["kind"] = [KIND_WORDS[k][j % len(KIND_WORDS[k])] for k, j in zip(out["kind"], rng.integers(0, 6, len(out)))]
    out["date"] = _dates(rng, out["date"])
    return out.rename(columns=INTERACTION_HEADERS)


def _prospects(rng, p: pd.DataFrame) -> pd.DataFrame:
    out = p.copy()
    out["annual_revenue"] = _revenue_wan(rng, out["annual_revenue"])
    out["registered_date"] = _dates(rng, out["registered_date"])
    return out.rename(columns=PROSPECT_HEADERS)


def _interleave(rng, table: pd.DataFrame, repeats: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``repeats`` (copies of its rows) each placed right after its original."""
    order = np.r_[np.arange(len(table)), table.index.get_indexer(repeats.index) + 0.5]
    both = pd.concat([table, repeats], ignore_index=True)
    return both.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def _write(df: pd.DataFrame, path: Path, fmt: str) -> Path:
    if fmt == "csv-gbk":
        return atomic_write(path.with_suffix(".csv"), df.to_csv(index=False).encode("gbk", errors="strict"))
    target = path.with_suffix(".xlsx")
    tmp = target.with_name(f".{target.name}.tmp.xlsx")
    df.astype(object).where(df.notna(), None).to_excel(tmp, index=False, engine="openpyxl")
    tmp.replace(target)
    return target


TABLES = ("customers", "orders", "interactions", "survey", "prospects", "conjoint_design", "conjoint_responses")


def export(sample_dir: str | Path, out_dir: str | Path, fmt: str = "csv-gbk", seed: int = 1,
           tables: tuple[str, ...] = TABLES) -> dict:
    """Write the sample in ``sample_dir`` as a Chinese CRM export into ``out_dir``; return its truth.

    Parameters
    ----------
    sample_dir : path
        A folder holding ``crm.duckdb`` and ``truth.json`` (:func:`custlab.data.sample.generate`).
    out_dir : path
        Where the files go (created if missing): customers, orders, interactions, survey,
        prospects, conjoint_design and conjoint_responses, plus ``truth.json`` and ``custlab.yaml``.
    fmt : {"csv-gbk", "xlsx"}
        GBK-encoded CSV (what Chinese Excel saves) or one Excel workbook per table.
    seed : int
        Draws the spellings; the same sample and seed give the same export.
    tables : tuple of str
        The tables to write (the commonest real export has customers and orders only).
    """
    if fmt not in FORMATS:
        from ..errors import ParamsError

        raise ParamsError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}.")
    sample_dir, out = Path(sample_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truth = json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))
    rng = np.random.default_rng([seed, truth["seed"]])
    export_truth: dict = {"format": fmt, "shares": SHARES}
    planted = {i for d in truth.get("duplicates", []) for i in (d["customer_id"], d["original"])}
    with duckdb.connect(str(sample_dir / "crm.duckdb"), read_only=True) as con:
        raw = {name: con.sql(f'SELECT * FROM "{name}"').df() for name in tables}
    writers = {
        "customers": lambda df: _customers(rng, df, export_truth, planted), "orders": lambda df: _orders(rng, df, export_truth),
        "interactions": lambda df: _interactions(rng, df), "survey": lambda df: df.rename(columns=SURVEY_HEADERS),
        "prospects": lambda df: _prospects(rng, df), "conjoint_design": lambda df: df, "conjoint_responses": lambda df: df,
    }
    for name in tables:
        _write(writers[name](raw[name]), out / name, fmt)
    truth["export"] = export_truth
    atomic_write_json(out / "truth.json", truth)
    kind = "csv" if fmt == "csv-gbk" else "excel"
    atomic_write(out / "custlab.yaml", (
        "# Parameters for this export: custlab run " + str(out / "custlab.yaml") + "\n"
        "language: zh\nas_of: null\nsource:\n"
        f"  kind: {kind}\n  path: {out.resolve()}\n  encoding: auto\n").encode("utf-8"))
    return truth


def export_fresh(out_dir: str | Path, fmt: str = "csv-gbk", customers: int = 5000, seed: int = 20240601) -> dict:
    """Generate a sample (:func:`custlab.data.sample.generate`) and write it as an export into ``out_dir``."""
    import tempfile

    from . import sample

    work = Path(tempfile.mkdtemp(prefix="custlab-sample-"))
    try:
        sample.generate(work, customers=customers, seed=seed)
        return export(work, out_dir, fmt)
    finally:
        shutil.rmtree(work, ignore_errors=True)
