"""Cleaning the customers: profiling (missing values, credit codes), GB/T 4754 industry and size
classes, statistical outliers and unit mistakes, duplicate companies merged and branches linked,
the missing-value policy and the follow-up list.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ...errors import CleaningError
from .. import reference
from ..matching import find_duplicates
from ..normalize import (_text, branch_parts, company_keys, normalize_company, normalize_credit_code, normalize_email,
                         phone_parts, without_extension)
from ..sources import exact_repeats
from .ledger import EXACT_DUPLICATE, _Ledger
from .rules import _grouping_words, _no_group, unit_mistakes

log = logging.getLogger(__name__)


def missing_shares(df: pd.DataFrame) -> pd.Series:
    """Share of missing (or blank) values per column, largest first."""
    blank = df.apply(lambda s: s.isna() | (s.astype("string").str.strip() == "").fillna(False))
    out = blank.mean().sort_values(ascending=False)
    out.index.name = "column"
    return out.rename("missing_share")


def credit_code_check(customers: pd.DataFrame) -> pd.Series:
    """How many credit codes are present, valid and invalid (GB 32100-2015 check character);
    none are present when the source has no credit_code column."""
    codes = customers.get("credit_code", pd.Series(dtype="string")).dropna().astype(str).str.strip().str.upper()
    codes = codes[codes != ""]
    valid = codes.map(reference.is_valid_credit_code).astype(bool)  # (bool even when there is no code)
    return pd.Series({"present": int(len(codes)), "valid": int(valid.sum()), "invalid": int((~valid).sum()),
                      "missing": int(len(customers) - len(codes))}, name="credit_codes")


def standardize_industry(values: pd.Series, synonyms: dict[str, str] | None = None) -> pd.DataFrame:
    """Free-text industries to GB/T 4754-2017 (:func:`custlab.data.reference.match_industry`):
    ``industry`` (the section's name, or the text as written where nothing matched),
    ``industry_section`` (A-T), ``industry_division`` (01-97) and ``industry_division_name``."""
    written = _text(values)
    m = reference.match_industry(written, synonyms)
    return pd.DataFrame({"industry": m["section_name"].fillna(written), "industry_section": m["section"],
                         "industry_division": m["division"], "industry_division_name": m["division_name"]},
                        index=values.index).astype("string")


def size_class(employees: pd.Series, revenue: pd.Series, thresholds: dict[str, dict[str, float]],
               unknown: str = "未知") -> pd.Series:
    """Size class from employees and annual revenue: the largest class that either measure reaches;
    ``micro`` below every threshold, ``unknown`` when both are missing.

    Examples
    --------
    >>> size_class(pd.Series([1200, 10, None]), pd.Series([None, 5e8, None]), {"large": {"employees": 1000, "revenue": 4e8}}).tolist()
    ['large', 'large', '未知']
    """
    emp, rev = pd.to_numeric(employees).astype("float64"), pd.to_numeric(revenue).astype("float64")
    out = pd.Series(np.where(emp.isna() & rev.isna(), unknown, "micro"), index=employees.index, dtype="object")
    order = sorted(thresholds, key=lambda k: thresholds[k].get("employees", 0))  # smallest class first
    for name in order:
        t = thresholds[name]
        hit = (emp >= t.get("employees", np.inf)).fillna(False) | (rev >= t.get("revenue", np.inf)).fillna(False)
        out[hit.to_numpy()] = name
    return out.astype("string")


#: columns the cleaning derives from others: they do not make a record more complete
DERIVED_COLUMNS = frozenset({"branch", "head_office_id", "industry_written", "industry_section", "industry_division", "industry_division_name",
                             "prefecture", "place_code", "phone_extension", "credit_code_valid"})


def _clean_customers(c: pd.DataFrame, settings, limit: pd.Timestamp, ledger: _Ledger) -> pd.DataFrame:
    c = ledger.quarantine_rows("customers", c, exact_repeats(c, "customer_id"), "customer_id", EXACT_DUPLICATE)
    c = ledger.quarantine_rows("customers", c, c["customer_id"].isna(), "_row", "missing_customer_id", "customer_id")
    c = ledger.quarantine_rows("customers", c, c["customer_id"].duplicated(), "customer_id", "duplicate_customer_id", "customer_id")
    key = "customer_id"
    if "employees" in c:
        bad = (c["employees"] <= 0).fillna(False)
        ledger.change("customers", c, key, "employees", c["employees"].mask(bad), "zero_employees")
        c["employees"] = c["employees"].mask(bad)
    if "registered_date" in c:
        bad = (c["registered_date"] > limit).fillna(False)
        ledger.change("customers", c, key, "registered_date", c["registered_date"].mask(bad), "future_registered_date")
        c["registered_date"] = c["registered_date"].mask(bad)
    if "industry" in c:
        std = standardize_industry(c["industry"], settings.industry_synonyms)
        ledger.unmatched("customers", "industry", c["industry"], std["industry_section"])
        ledger.change("customers", c, key, "industry", std["industry"], "industry_standardized")
        c = c.assign(industry_written=_text(c["industry"]), **std)
    if "province" in c or "city" in c:
        written = {col: c.get(col, pd.Series(pd.NA, index=c.index, dtype="string")) for col in ("province", "city")}
        place = reference.match_place(_text(written["province"]), _text(written["city"]), settings.place_synonyms).set_axis(c.index)
        for column in ("province", "city"):
            if column in c:
                ledger.unmatched("customers", column, c[column], place[column])
        for column in ("province", "city", "region"):
            if column in c:
                keep = place[column].isna() & c[column].notna()  # a region the province does not give stays as written
                place[column] = place[column].where(~keep, _text(c[column]))
                ledger.change("customers", c, key, column, place[column], f"{column}_standardized")
        c = c.assign(**{col: place[col] for col in ("province", "city", "region", "prefecture", "place_code")})
    c = _grouping_words(c, "customers", settings, ledger)
    if "phone" in c:
        parts = phone_parts(c["phone"]).set_axis(c.index)
        if parts["extension"].notna().any():
            c["phone_extension"] = parts["extension"]
    written = {"phone": lambda: without_extension(c["phone"]), "email": lambda: c["email"].astype("string")}
    for column, tidy in (("phone", lambda: parts["phone"]), ("email", lambda: normalize_email(c["email"]))):
        if column in c:
            tidy = tidy()
            tidy = tidy.where(tidy.notna(), written[column]())  # unrecognized stays as written (less its extension)
            ledger.change("customers", c, key, column, tidy, f"{column}_normalized")
            c[column] = tidy
    if "credit_code" in c:
        c["credit_code_valid"] = normalize_credit_code(c["credit_code"]).notna().where(c["credit_code"].notna())
    out = settings.outliers
    if {"annual_revenue", "employees"} <= set(c.columns) and not _no_group(ledger, c, "customers", "annual_revenue", out.revenue_group):
        per_head = c["annual_revenue"] / c["employees"]
        groups = c[out.revenue_group] if out.revenue_group in c else None
        factor, outlier = unit_mistakes(per_head, groups, out)
        fixed = c["annual_revenue"] * factor.fillna(1)
        ledger.change("customers", c, key, "annual_revenue", fixed, "unit_mistake")
        ledger.quarantine_values("customers", c, outlier, key, "annual_revenue", "revenue_outlier")
        c["annual_revenue"] = fixed.mask(outlier)
    return c


def _company_distinct(c: pd.DataFrame) -> dict[str, pd.Series]:
    """Keys that prove two companies, for the duplicate finder's ``distinct``: the place a name
    opens with (杭州银行 and 上海银行 are two banks; 华信科技 without a place matches either) and the
    branch (a branch is never merged into its head office or another branch)."""
    if "name" not in c:
        return {}
    keys = company_keys(c["name"])
    branch = branch_parts(c["name"])["branch"]
    return {"name_place": keys["place"], "branch": branch.fillna("head office").where(keys["name"].notna())}


def _link_branches(c: pd.DataFrame) -> pd.DataFrame:
    """``branch`` (杭州分公司) on branch offices and ``head_office_id``: the customer whose name is the
    branch's head office (by :func:`normalize_company`), when exactly one customer is."""
    if "name" not in c:
        return c
    parts = branch_parts(c["name"])
    if parts["branch"].isna().all():
        return c
    heads = c.loc[parts["branch"].isna(), ["customer_id"]].assign(key=normalize_company(c.loc[parts["branch"].isna(), "name"]))
    heads = heads.dropna(subset="key").drop_duplicates("key", keep=False).set_index("key")["customer_id"]
    head_key = normalize_company(parts["head"])
    return c.assign(branch=parts["branch"], head_office_id=head_key.map(heads).astype("string"))


def _merge_duplicates(c: pd.DataFrame, settings, last_order: pd.Series, ledger: _Ledger):
    d = settings.duplicates
    absent = [k for k in d.fuzzy if k not in c]
    if d.min_agree is not None and d.min_agree > len(d.fuzzy) - len(absent):
        raise CleaningError(f"cleaning.duplicates.min_agree is {d.min_agree}, but the customers table has only "
                            f"{len(d.fuzzy) - len(absent)} of the fuzzy fields (absent: {', '.join(absent)}): "
                            "lower min_agree or map those columns in the source.")
    keys = _company_distinct(c)
    found = find_duplicates(c.assign(**keys), exact=[x for x in d.exact if x in c], fuzzy={k: v for k, v in d.fuzzy.items() if k in c},
                            block=[b for b in d.block if all(p.partition(":")[0].strip() in c for p in b.split("+"))],
                            distinct=[x for x in d.distinct if x in c] + list(keys), max_key_group=d.max_key_group,
                            similarity={k: v for k, v in d.similarity.items() if k in c}, min_agree=d.min_agree,
                            max_pairs=d.max_pairs)
    entity = found.clusters
    multi = entity.map(entity.value_counts()) > 1
    group = c[multi].assign(_entity=entity[multi])
    data_cols = [col for col in c.columns if not col.startswith("_")]
    group["_complete"] = group[[col for col in data_cols if col not in DERIVED_COLUMNS]].notna().sum(axis=1)
    group["_last"] = group["customer_id"].map(last_order) if len(last_order) else pd.NaT  # (no orders: no dates to map)
    survivors = group.sort_values(["_entity", "_complete", "customer_id"], ascending=[True, False, True]).groupby("_entity")["customer_id"].first()
    recent = group.sort_values(["_entity", "_last", "customer_id"], ascending=[True, False, False], na_position="last")
    merged_rows = recent.groupby("_entity")[data_cols].first()
    merged_rows["customer_id"] = survivors
    by_id = group.set_index("customer_id", drop=False)
    merged_rows["_row"] = by_id.loc[survivors, "_row"].to_numpy()
    original = by_id.loc[survivors, data_cols].set_index(survivors.index)
    changed = (original.astype("string") != merged_rows[data_cols].astype("string")).fillna(original.isna() != merged_rows[data_cols].isna())
    taken = _true_columns(changed)
    id_of = c["customer_id"]
    pairs = found.pairs.assign(left=id_of[found.pairs["left"]].to_numpy(), right=id_of[found.pairs["right"]].to_numpy())
    apart = found.kept_apart.assign(left=id_of[found.kept_apart["left"]].to_numpy(), right=id_of[found.kept_apart["right"]].to_numpy())
    long = pd.concat([pairs.rename(columns={"left": "id"}).drop(columns="right"), pairs.rename(columns={"right": "id"}).drop(columns="left")])
    order = {r: i for i, r in enumerate(sorted(long["rule"].unique(), key=lambda r: (r == "fuzzy", r)))}
    long["_rank"] = long["rule"].map(order)
    rules = long.sort_values("_rank").groupby("id").agg(rule=("rule", lambda r: ",".join(dict.fromkeys(r))), score=("score", "max"))
    gone = group[~group["customer_id"].isin(survivors)]
    merge_log = pd.DataFrame({"entity": gone["_entity"].to_numpy(), "survivor_id": gone["_entity"].map(survivors).to_numpy(),
                              "merged_id": gone["customer_id"].to_numpy()})
    merge_log = merge_log.join(rules, on="merged_id").assign(columns_taken=lambda m: m["entity"].map(taken))
    survivor_map = dict(zip(merge_log["merged_id"], merge_log["survivor_id"]))
    kept = c[~multi]
    merged_rows = merged_rows.reset_index(drop=True).astype({k: v for k, v in c.dtypes.items() if k in merged_rows}, errors="ignore")
    out = pd.concat([kept, merged_rows[c.columns]], ignore_index=True).sort_values("_row", kind="stable").reset_index(drop=True)
    if len(apart):
        log.info("%d matched pairs kept apart: their entity would hold two different %s", len(apart), ", ".join(d.distinct))
    pairs = pd.concat([pairs.assign(reason=pd.NA), apart], ignore_index=True).astype({"reason": "string"})
    return out, merge_log.reset_index(drop=True), survivor_map, pairs


def _missing_policy(c: pd.DataFrame, settings, ledger: _Ledger) -> pd.DataFrame:
    for column, action in settings.missing.items():
        if column not in c:
            continue
        gone = c[column].isna() | (c[column].astype("string").str.strip() == "").fillna(False)
        if action == "drop":
            c = ledger.quarantine_rows("customers", c, gone, "customer_id", f"missing_{column}", column)
        elif action == "unknown":
            ledger.change("customers", c[gone], "customer_id", column, pd.Series(settings.unknown_label, index=c.index[gone]), "missing_unknown")
            c[column] = c[column].astype("string").mask(gone, settings.unknown_label)
        elif action == "median":
            group = c[settings.outliers.revenue_group] if settings.outliers.revenue_group in c else pd.Series(0, index=c.index)
            filled = c[column].fillna(c[column].groupby(group).transform("median")).fillna(c[column].median())
            ledger.change("customers", c, "customer_id", column, filled, "missing_median")
            c[column] = filled
    return c


def _true_columns(flags: pd.DataFrame) -> pd.Series:
    """For each row of a boolean frame, the names of its true columns joined by commas (also for no rows,
    where ``DataFrame.apply`` would return a frame).

    >>> _true_columns(pd.DataFrame({"phone": [True, False], "industry": [True, False]}, index=["a", "b"])).tolist()
    ['phone,industry', '']
    """
    names = np.asarray(flags.columns, dtype=object)
    return pd.Series([",".join(names[row]) for row in flags.to_numpy(dtype=bool)], index=flags.index, dtype="string")


def _followup(c: pd.DataFrame, settings) -> pd.DataFrame:
    """Customers with a missing key field (or one marked unknown), for the sales team to complete."""
    fields = [f for f in settings.key_fields if f in c]
    if not fields:
        return pd.DataFrame(columns=["customer_id", "name", "missing", "status"])
    gone = pd.DataFrame({f: c[f].isna() | (c[f].astype("string") == settings.unknown_label).fillna(False) for f in fields})
    hit = gone.any(axis=1)
    missing = _true_columns(gone[hit])
    return pd.DataFrame({"customer_id": c.loc[hit, "customer_id"], "name": c.loc[hit, "name"] if "name" in c else pd.NA,
                         "missing": missing, "status": settings.followup_label}).reset_index(drop=True)
