"""A deterministic synthetic Chinese B2B CRM database with planted truth.

:func:`generate` writes ``crm.duckdb`` (the canonical tables of DESIGN.md) and ``truth.json``
(the rules used and every planted instance: segments, key accounts, decliners, survey factors
and coefficients, conjoint part-worths, prospect rule, and every piece of dirt). Customers are
generated in chunks of :data:`CHUNK` so that a million customers fit in a few GB; the output for
a given seed does not depend on anything but the seed and the customer count.
The README section "The sample database" documents the truth.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from . import reference as ref
from .sample_studies import _conjoint, _survey
from ..report import atomic_write_json

CHUNK = 50_000
START, END = pd.Timestamp("2024-07-01"), pd.Timestamp("2026-06-30")  # 24 months of orders
MONTHS = 24
DECLINE_MONTHS = 3  # decliners buy and interact less in the last quarter
DECLINE_FACTOR = 0.25  # ... at a quarter of their usual rate
SIZE_CLASSES = ("large", "medium", "small", "micro")
SIZE_SHARE = (0.08, 0.20, 0.40, 0.32)
# employees and annual revenue (CNY) ranges per size class (the cleaning defaults)
SIZE_RANGES = {"large": ((1000, 20000), (4e8, 5e9)), "medium": ((300, 999), (1e8, 3.99e8)),
               "small": ((50, 299), (1e7, 9.9e7)), "micro": ((3, 49), (5e5, 9.9e6))}
CATEGORIES = ("设备", "耗材", "软件", "服务", "配件")
UNIT_PRICE = {"设备": 30000.0, "耗材": 500.0, "软件": 8000.0, "服务": 5000.0, "配件": 1200.0}
# segment: share, orders a year, mean order value (CNY), trend over the window, monthly
# visits/events/calls/emails, product-category mix, multipliers by size class
SEGMENTS = {
    "strategic":  dict(share=0.07, rate=60, value=24000, trend=0.0, inter=(6.0, 2.5, 8.0, 12.0),
                       mix=(0.35, 0.10, 0.25, 0.25, 0.05), size=(6.0, 1.5, 0.3, 0.1)),
    "growth":     dict(share=0.13, rate=36, value=12000, trend=0.8, inter=(3.0, 1.2, 5.0, 8.0),
                       mix=(0.25, 0.15, 0.35, 0.15, 0.10), size=(1.5, 2.0, 0.8, 0.4)),
    "steady":     dict(share=0.25, rate=26, value=9000, trend=0.0, inter=(2.0, 0.6, 3.0, 4.0),
                       mix=(0.15, 0.35, 0.15, 0.15, 0.20), size=(1.0, 1.2, 1.1, 0.7)),
    "small":      dict(share=0.35, rate=10, value=2500, trend=0.0, inter=(0.6, 0.2, 1.0, 2.0),
                       mix=(0.05, 0.55, 0.05, 0.10, 0.25), size=(0.3, 0.6, 1.1, 1.3)),
    "occasional": dict(share=0.20, rate=3, value=4000, trend=0.0, inter=(0.2, 0.05, 0.5, 1.0),
                       mix=(0.20, 0.30, 0.10, 0.10, 0.30), size=(0.3, 0.5, 0.9, 1.4)),
}
KEY_SEGMENT_INDUSTRY = {"C": 1.4, "I": 1.4, "J": 1.3, "F": 1.0}  # others 0.8, for strategic and growth
TRADE = ("华信", "宏达", "中天", "金诚", "瑞丰", "鼎盛", "恒通", "新元", "博远", "永泰", "汇智", "凯达", "天成", "广源",
         "东方", "海创", "明德", "华宇", "联合", "正泰", "安捷", "星辰", "盛世", "佳和", "同创", "润泽", "卓越", "中科",
         "美达", "远景", "德信", "宇通", "聚力", "启明", "长青", "力拓", "国信", "云帆", "锦程", "华美",
         "嘉禾", "百川", "立信", "伟业", "腾飞", "万通", "富源", "和顺", "泰来", "信达", "众诚", "光大", "金桥", "银河",
         "志远", "天润", "恒丰", "福瑞", "永兴", "世纪", "新华", "昌盛", "天元", "弘毅", "君安", "鸿运", "宏图", "祥和",
         "创新", "先锋", "红星", "蓝天", "绿洲", "朝阳", "春晖", "秋实", "冬阳", "夏华", "海纳", "山河")
TRADE_PY = ("huaxin", "hongda", "zhongtian", "jincheng", "ruifeng", "dingsheng", "hengtong", "xinyuan", "boyuan",
            "yongtai", "huizhi", "kaida", "tiancheng", "guangyuan", "dongfang", "haichuang", "mingde", "huayu",
            "lianhe", "zhengtai", "anjie", "xingchen", "shengshi", "jiahe", "tongchuang", "runze", "zhuoyue",
            "zhongke", "meida", "yuanjing", "dexin", "yutong", "juli", "qiming", "changqing", "lituo", "guoxin",
            "yunfan", "jincheng2", "huamei",
            "jiahe2", "baichuan", "lixin", "weiye", "tengfei", "wantong", "fuyuan", "heshun", "tailai", "xinda",
            "zhongcheng", "guangda", "jinqiao", "yinhe", "zhiyuan", "tianrun", "hengfeng", "furui", "yongxing", "shiji",
            "xinhua", "changsheng", "tianyuan", "hongyi", "junan", "hongyun", "hongtu", "xianghe", "chuangxin",
            "xianfeng", "hongxing", "lantian", "lvzhou", "chaoyang", "chunhui", "qiushi", "dongyang", "xiahua",
            "haina", "shanhe")
# words for the business in company names; several per section, so that 1M companies in ~40 cities
# stay unique (one word per section allowed only about 56,000 names per city)
INDUSTRY_WORD = {"A": ("农业", "农牧", "种业", "生态农业"), "B": ("矿业", "矿产", "资源", "石材"),
                 "C": ("制造", "机械", "电子", "材料", "精密", "装备"), "D": ("能源", "电力", "燃气", "新能源"),
                 "E": ("建设", "建工", "工程", "路桥"), "F": ("贸易", "商贸", "供应链", "进出口"),
                 "G": ("物流", "运输", "快运", "仓储"), "H": ("餐饮管理", "酒店管理", "餐饮", "食府"),
                 "I": ("信息技术", "软件", "网络科技", "数据科技"), "J": ("金融服务", "投资", "资本", "融资租赁"),
                 "K": ("置业", "地产", "房地产开发", "物业投资"), "L": ("商务服务", "咨询", "企业管理", "人力资源"),
                 "M": ("技术研究", "检测", "设计", "研究院"), "N": ("环保", "水务", "环境工程", "园林"),
                 "O": ("物业服务", "家政服务", "物业管理", "保洁服务"), "P": ("教育科技", "培训", "教育咨询", "文化教育"),
                 "Q": ("医疗科技", "医疗器械", "健康管理", "医药"), "R": ("文化传媒", "影视", "广告", "文化传播")}
INDUSTRY_WEIGHT = {"A": 2, "B": 2, "C": 22, "D": 3, "E": 8, "F": 16, "G": 6, "H": 3, "I": 12, "J": 3, "K": 3,
                   "L": 7, "M": 5, "N": 2, "O": 1, "P": 2, "Q": 2, "R": 2}
SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司")
SURNAMES = (("张", "zhang"), ("王", "wang"), ("李", "li"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
            ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
            ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"))
GIVEN = (("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("强", "qiang"), ("磊", "lei"),
         ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"))
CHANNELS = ("官网", "展会", "代理商", "电话销售", "老客户推荐")


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def _credit_codes(rng, city_codes: np.ndarray, used: set[str]) -> np.ndarray:
    chars = np.array(list(ref.CREDIT_CODE_CHARS))
    out = []
    for city in city_codes:
        while True:
            body = "".join(rng.choice(chars, 8))
            first17 = "91" + city + body + ref.org_code_check(body)
            code = first17 + ref.credit_code_check(first17)
            if code not in used:
                used.add(code)
                out.append(code)
                break
    return np.array(out)


def _unique(draw, n: int, used: set[str]) -> np.ndarray:
    """Values for rows 0..n-1 from ``draw(rows)``, redrawn until none repeats a value in ``used``."""
    out = np.empty(n, dtype=object)
    todo = np.arange(n)
    for _ in range(1000):  # a bounded loop: an exhausted value space must fail, not hang
        if not todo.size:
            return out
        fresh = []
        for i, c in zip(todo, draw(todo)):
            if c in used:
                fresh.append(i)
            else:
                used.add(c)
                out[i] = c
        todo = np.array(fresh, dtype=int)
    raise ValueError(f"{todo.size} of {n} values could not be made unique after 1000 draws: the value space is exhausted.")


def _firmographics(rng, n: int, used: dict[str, set]) -> pd.DataFrame:
    """Companies: name, credit code, industry, place, size, employees, revenue, registration."""
    provinces = list(ref.PROVINCES)
    prov_w = np.array([5 if p in ("广东省", "江苏省", "浙江省", "上海市", "北京市", "山东省") else 1.5 for p in provinces])
    prov = rng.choice(provinces, n, p=prov_w / prov_w.sum())
    city = np.array([rng.choice(list(ref.PROVINCES[p][3])) for p in prov])
    city_code = np.array([ref.PROVINCES[p][3][c] for p, c in zip(prov, city)])
    codes = list(INDUSTRY_WEIGHT)
    w = np.array(list(INDUSTRY_WEIGHT.values()), float)
    industry = rng.choice(codes, n, p=w / w.sum())
    size = rng.choice(SIZE_CLASSES, n, p=SIZE_SHARE)
    emp = np.empty(n, dtype=np.int64)
    rev = np.empty(n)
    for s in SIZE_CLASSES:
        m = size == s
        (elo, ehi), (rlo, rhi) = SIZE_RANGES[s]
        u = rng.uniform(size=m.sum())
        emp[m] = np.round(np.exp(np.log(elo) + u * (np.log(ehi) - np.log(elo))))
        v = np.clip(u + rng.normal(0, 0.15, m.sum()), 0, 1)
        rev[m] = np.round(np.exp(np.log(rlo) + v * (np.log(rhi) - np.log(rlo))), -3)

    def core_names(rows):  # unique without the legal suffix, so that no two companies differ only by it
        t = rng.integers(0, len(TRADE), (len(rows), 2))
        t[:, 1] = (t[:, 0] + 1 + t[:, 1] % (len(TRADE) - 1)) % len(TRADE)  # never the same word twice
        long = rng.uniform(size=len(rows)) < 0.5
        word = rng.integers(0, 6, len(rows))
        return [city[r].removesuffix("市") + TRADE[a] + (TRADE[b] if lg else TRADE[b][1])
                + INDUSTRY_WORD[industry[r]][w % len(INDUSTRY_WORD[industry[r]])]
                for r, (a, b), lg, w in zip(rows, t, long, word)]

    core = _unique(core_names, n, used["name"])
    name = np.char.add(core.astype(str), rng.choice(SUFFIXES, n, p=(0.6, 0.2, 0.1, 0.1)))
    trade_py = np.array([TRADE_PY[TRADE.index(nm[len(c.removesuffix("市")):][:2])] for nm, c in zip(core, city)])
    registered = START - pd.to_timedelta(rng.integers(200, 30 * 365, n), unit="D")
    return pd.DataFrame({
        "name": name, "credit_code": _credit_codes(rng, city_code, used["credit_code"]),
        "industry_code": industry, "province": prov, "city": city,
        "region": [ref.PROVINCES[p][0] for p in prov], "size_class": size, "employees": emp,
        "annual_revenue": rev, "registered_date": registered.normalize(), "_trade_py": trade_py})


def key_propensity(size_class: pd.Series, industry_code: pd.Series) -> np.ndarray:
    """Planted rule: probability that a company with these firmographics is strategic or growth."""
    mult = _segment_multipliers(size_class.to_numpy(), industry_code.to_numpy())
    return mult[:, :2].sum(axis=1)


def _segment_multipliers(size: np.ndarray, industry: np.ndarray) -> np.ndarray:
    names = list(SEGMENTS)
    p = np.empty((len(size), len(names)))
    size_pos = np.searchsorted(np.array(SIZE_CLASSES), size, sorter=np.argsort(SIZE_CLASSES))
    size_pos = np.argsort(SIZE_CLASSES)[size_pos]
    ind_mult = np.array([KEY_SEGMENT_INDUSTRY.get(i, 0.8) for i in industry])
    for j, seg in enumerate(names):
        spec = SEGMENTS[seg]
        p[:, j] = spec["share"] * np.array(spec["size"])[size_pos] * (ind_mult if j < 2 else 1.0)
    return p / p.sum(axis=1, keepdims=True)


def _people(rng, n: int, used: dict[str, set], trade_py: np.ndarray):
    s = rng.integers(0, len(SURNAMES), n)
    g = rng.integers(0, len(GIVEN), (n, 2))
    two = rng.uniform(size=n) < 0.6
    contact = [SURNAMES[a][0] + GIVEN[b][0] + (GIVEN[c][0] if t else "") for a, (b, c), t in zip(s, g, two)]
    prefixes = np.array(["13", "15", "17", "18", "19"])
    phone = _unique(lambda rows: [rng.choice(prefixes) + "".join(map(str, rng.integers(0, 10, 9))) for _ in rows],
                    n, used["phone"])
    email = _unique(lambda rows: [f"{SURNAMES[s[r]][1]}.{GIVEN[g[r, 0]][1]}{rng.integers(1, 999)}@{trade_py[r]}.com.cn"
                                  for r in rows], n, used["email"])
    return contact, phone, email


def _monthly_rates(rng, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orders per month per customer (n x 24, before any decline) and each customer's mean order value."""
    names = list(SEGMENTS)
    rate = np.array([SEGMENTS[names[s]]["rate"] for s in seg]) * rng.gamma(4, 1 / 4, len(seg)) / 12
    value = np.array([SEGMENTS[names[s]]["value"] for s in seg]) * rng.lognormal(-0.125, 0.5, len(seg))
    trend = np.array([SEGMENTS[names[s]]["trend"] for s in seg])
    m = np.arange(MONTHS) / (MONTHS - 1) - 0.5
    return rate[:, None] * (1 + trend[:, None] * m[None, :]), value


def _orders(rng, ids: np.ndarray, seg: np.ndarray, lam: np.ndarray, value: np.ndarray, first_order: int) -> pd.DataFrame:
    counts = rng.poisson(lam)
    n_per = counts.sum(axis=1)
    cust = np.repeat(np.arange(len(ids)), n_per)
    month = np.concatenate([np.repeat(np.arange(MONTHS), row) for row in counts]) if len(cust) else np.array([], int)
    month_start = np.array([START + pd.DateOffset(months=int(k)) for k in range(MONTHS)], dtype="datetime64[ns]")
    days = np.array([(START + pd.DateOffset(months=int(k) + 1) - (START + pd.DateOffset(months=int(k)))).days for k in range(MONTHS)])
    date = month_start[month] + (rng.uniform(size=len(cust)) * days[month]).astype("timedelta64[D]")
    amount = np.round(value[cust] * rng.lognormal(-0.18, 0.6, len(cust)), 2)
    names = list(SEGMENTS)
    mix = np.array([SEGMENTS[n]["mix"] for n in names]).cumsum(axis=1)
    u = rng.uniform(size=len(cust))
    cat_idx = (u[:, None] > mix[seg[cust]]).sum(axis=1)
    category = np.array(CATEGORIES)[cat_idx]
    variant = rng.integers(0, 3, len(cust))
    product = np.char.add(np.char.add(category.astype(str), "-"), np.array(["A", "B", "C"])[variant])
    unit = np.array([UNIT_PRICE[c] for c in CATEGORIES])[cat_idx]
    quantity = np.maximum(1, np.round(amount / unit)).astype(np.int64)
    order_id = np.char.add("O", np.char.zfill(np.arange(first_order, first_order + len(cust)).astype(str), 9))
    return pd.DataFrame({"order_id": order_id, "customer_id": ids[cust], "order_date": date,
                         "amount": amount, "product": product, "category": category, "quantity": quantity})


def _interactions(rng, ids: np.ndarray, seg: np.ndarray, decl: np.ndarray) -> pd.DataFrame:
    names = list(SEGMENTS)
    base = np.array([SEGMENTS[names[s]]["inter"] for s in seg])  # n x 4
    factor = rng.gamma(6, 1 / 6, len(ids))
    lam = base[:, None, :] * factor[:, None, None] * np.ones((1, MONTHS, 1))
    lam[decl, MONTHS - DECLINE_MONTHS:, :] *= DECLINE_FACTOR
    counts = rng.poisson(lam)
    c, m, k = np.nonzero(counts)
    months = pd.date_range(START, periods=MONTHS, freq="MS").to_numpy()
    return pd.DataFrame({"customer_id": ids[c], "date": months[m],
                         "kind": np.array(["visit", "event", "call", "email"])[k], "count": counts[c, m, k].astype(np.int64)})


# --------------------------------------------------------------------------- dirt
PHONE_FORMATS = (lambda p: f"+86 {p[:3]} {p[3:7]} {p[7:]}", lambda p: f"{p[:3]}-{p[3:7]}-{p[7:]}",
                 lambda p: f"0086{p}", lambda p: f"(+86){p}", lambda p: f"{p[:3]} {p[3:7]} {p[7:]}")
MISSING_RATES = {"credit_code": 0.03, "phone": 0.04, "email": 0.05, "industry": 0.03, "employees": 0.04,
                 "province": 0.02, "annual_revenue": 0.05}


def _name_variant(rng, name: str, city: str) -> str:
    """Another spelling of the same company name: suffix variant, spaces, full-width marks."""
    kind = rng.integers(0, 4)
    place = city.removesuffix("市")
    if kind == 0:
        for a, b in (("股份有限公司", "有限公司"), ("有限责任公司", "有限公司"), ("集团有限公司", "集团"), ("有限公司", "有限责任公司")):
            if name.endswith(a):
                return name[: -len(a)] + b
    if kind == 1 and name.startswith(place):
        return place + rng.choice([" ", "\u3000"]) + name[len(place):]
    if kind == 2:
        return name.replace("有限", "（有限）") if rng.uniform() < 0.3 else name + " "
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in name).replace("有限公司", "有限公司（中国）") \
        if rng.uniform() < 0.5 else place + "市" + name[len(place):]


def _dirty_customers(rng, clean: pd.DataFrame, next_id: int, truth: dict) -> pd.DataFrame:
    """Raw customers: spelling variants, gaps, impossible values, unit mistakes, duplicates."""
    raw = clean.copy()
    n = len(raw)
    canonical = raw["industry_code"].map(lambda c: ref.INDUSTRY_SECTIONS[c][0])
    variant = rng.uniform(size=n) < 0.25
    raw["industry"] = [rng.choice(list(ref.INDUSTRY_SECTIONS[c][1]) + [f"{c} {ref.INDUSTRY_SECTIONS[c][0]}"]) if v else nm
                       for c, v, nm in zip(raw["industry_code"], variant, canonical)]
    short_prov = rng.uniform(size=n) < 0.2
    raw.loc[short_prov, "province"] = [rng.choice(ref.PROVINCES[p][1]) for p in raw.loc[short_prov, "province"]]
    short_city = rng.uniform(size=n) < 0.2
    raw.loc[short_city, "city"] = raw.loc[short_city, "city"].str.removesuffix("市")
    truth["spelling_variants"] += [{"customer_id": i, "column": "industry", "raw": r, "canonical": c}
                                   for i, r, c, v in zip(raw["customer_id"], raw["industry"], raw["industry_code"], variant) if v and r != ref.INDUSTRY_SECTIONS[c][0]]
    truth["spelling_variants"] += [{"customer_id": i, "column": col, "raw": r, "canonical": c}
                                   for col, mask in (("province", short_prov), ("city", short_city))
                                   for i, r, c in zip(raw.loc[mask, "customer_id"], raw.loc[mask, col], clean.loc[mask, col]) if r != c]
    raw["employees"] = raw["employees"].astype("Int64")
    zero = rng.uniform(size=n) < 0.005
    raw.loc[zero, "employees"] = 0
    truth["impossible"] += [{"table": "customers", "customer_id": i, "column": "employees", "value": 0} for i in raw.loc[zero, "customer_id"]]
    future = rng.uniform(size=n) < 0.002
    raw.loc[future, "registered_date"] = END + pd.to_timedelta(rng.integers(200, 900, future.sum()), unit="D")
    truth["impossible"] += [{"table": "customers", "customer_id": i, "column": "registered_date", "value": str(d.date())}
                            for i, d in zip(raw.loc[future, "customer_id"], raw.loc[future, "registered_date"])]
    unit = (rng.uniform(size=n) < 0.01) & raw["size_class"].isin(["large", "medium"]).to_numpy() & ~zero
    raw.loc[unit, "annual_revenue"] = raw.loc[unit, "annual_revenue"] / 10_000
    truth["unit_mistakes"] += [{"table": "customers", "customer_id": i, "column": "annual_revenue", "recorded": r, "true": r * 10_000, "factor": 10_000}
                               for i, r in zip(raw.loc[unit, "customer_id"], raw.loc[unit, "annual_revenue"])]
    for col, rate in MISSING_RATES.items():
        gone = rng.uniform(size=n) < rate
        raw[col] = raw[col].astype("object") if col not in ("employees",) else raw[col]
        raw.loc[gone, col] = None
        truth["missing"] += [{"table": "customers", "customer_id": i, "column": col} for i in raw.loc[gone, "customer_id"]]
    blanked = set(raw.loc[raw["annual_revenue"].isna(), "customer_id"])  # a blanked value is no longer a unit mistake
    truth["unit_mistakes"] = [u for u in truth["unit_mistakes"] if u["table"] != "customers" or u["customer_id"] not in blanked]
    # duplicates: copies of existing records under new ids
    kinds = rng.choice(["none", "exact", "near"], n, p=(0.96, 0.01, 0.03))
    dups = []
    for pos in np.flatnonzero(kinds != "none"):
        row = raw.iloc[pos].copy()
        row["customer_id"] = f"C{next_id:07d}"
        next_id += 1
        if kinds[pos] == "near":
            row["name"] = _name_variant(rng, clean.iloc[pos]["name"], clean.iloc[pos]["city"])
            if isinstance(row["phone"], str):
                row["phone"] = PHONE_FORMATS[rng.integers(0, len(PHONE_FORMATS))](row["phone"])
            if isinstance(row["email"], str) and rng.uniform() < 0.5:
                row["email"] = row["email"].upper()
            if rng.uniform() < 0.3 and isinstance(row["phone"], str):
                row["credit_code"] = None  # the copy lacks the code; phone and name must link it
        dups.append(row)
        truth["duplicates"].append({"customer_id": row["customer_id"], "original": raw.iloc[pos]["customer_id"], "kind": kinds[pos]})
    if dups:
        raw = pd.concat([raw, pd.DataFrame(dups)], ignore_index=True)
    raw["employees"] = pd.to_numeric(raw["employees"]).astype("Int64")
    raw["annual_revenue"] = pd.to_numeric(raw["annual_revenue"]).astype("float64")
    raw["registered_date"] = pd.to_datetime(raw["registered_date"])
    return raw, next_id


def _dirty_orders(rng, orders: pd.DataFrame, truth: dict) -> pd.DataFrame:
    n = len(orders)
    neg = rng.uniform(size=n) < 0.003
    orders.loc[neg, "amount"] = -orders.loc[neg, "amount"]
    fut = rng.uniform(size=n) < 0.002
    orders.loc[fut, "order_date"] = pd.Timestamp("2027-01-01") + pd.to_timedelta(rng.integers(0, 700, fut.sum()), unit="D")
    unit = (rng.uniform(size=n) < 0.002) & ~neg
    orders.loc[unit, "amount"] = (orders.loc[unit, "amount"] / 10_000).round(4)
    truth["impossible"] += [{"table": "orders", "order_id": o, "column": "amount", "value": v} for o, v in zip(orders.loc[neg, "order_id"], orders.loc[neg, "amount"])]
    truth["impossible"] += [{"table": "orders", "order_id": o, "column": "order_date", "value": str(v.date())} for o, v in zip(orders.loc[fut, "order_id"], orders.loc[fut, "order_date"])]
    truth["unit_mistakes"] += [{"table": "orders", "order_id": o, "column": "amount", "recorded": v, "true": round(v * 10_000, 2), "factor": 10_000}
                               for o, v in zip(orders.loc[unit, "order_id"], orders.loc[unit, "amount"])]
    return orders


def _move_to_duplicates(rng, table: pd.DataFrame, dup_pairs: list[dict], share: float = 0.35) -> pd.DataFrame:
    """Give each duplicate record part of its original's history (split histories are why merging matters)."""
    if not dup_pairs:
        return table
    to_dup = {p["original"]: p["customer_id"] for p in dup_pairs}
    hit = table["customer_id"].isin(to_dup.keys()).to_numpy() & (rng.uniform(size=len(table)) < share)
    table.loc[hit, "customer_id"] = table.loc[hit, "customer_id"].map(to_dup)
    return table


# --------------------------------------------------------------------------- survey, conjoint, prospects


def _prospects(rng, n: int, used: dict[str, set], truth: dict) -> pd.DataFrame:
    firm = _firmographics(rng, n, used)
    propensity = key_propensity(firm["size_class"], firm["industry_code"])
    ids = np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    truth["prospects"] = {"rule": "P(strategic or growth | size class, industry) from SEGMENTS shares x size multipliers "
                                  "x industry multipliers (C, I 1.4; J 1.3; F 1.0; others 0.8)",
                          "potential": dict(zip(ids, np.round(propensity, 4).tolist()))}
    out = firm.drop(columns=["_trade_py", "size_class"]).copy()
    out["industry"] = out.pop("industry_code").map(lambda c: ref.INDUSTRY_SECTIONS[c][0])
    out.insert(0, "prospect_id", ids)
    return out


# --------------------------------------------------------------------------- the database
CUSTOMER_COLUMNS = ["customer_id", "name", "credit_code", "phone", "email", "contact", "industry", "province", "city",
                    "region", "employees", "annual_revenue", "registered_date", "channel"]


def _customer_chunk(rng, n: int, next_id: int, used: dict[str, set], truth: dict, first_order: int):
    """One chunk of customers with their orders and interactions (raw, with dirt)."""
    firm = _firmographics(rng, n, used)
    seg_p = _segment_multipliers(firm["size_class"].to_numpy(), firm["industry_code"].to_numpy())
    seg = (rng.uniform(size=n)[:, None] > seg_p.cumsum(axis=1)).sum(axis=1).clip(0, len(SEGMENTS) - 1)
    ids = np.char.add("C", np.char.zfill(np.arange(next_id, next_id + n).astype(str), 7)).astype(object)
    contact, phone, email = _people(rng, n, used, firm["_trade_py"].to_numpy())
    lam0, value = _monthly_rates(rng, seg)
    expected0 = (lam0 * value[:, None]).sum(axis=1)
    eligible = expected0 >= np.quantile(expected0, 0.80)  # decliners are high-value customers slipping away
    decl = eligible & (rng.uniform(size=n) < 0.15)
    lam = lam0.copy()
    lam[decl, MONTHS - DECLINE_MONTHS:] *= DECLINE_FACTOR
    expected = (lam * value[:, None]).sum(axis=1)
    clean = firm.assign(customer_id=ids, contact=contact, phone=phone, email=email,
                        channel=rng.choice(CHANNELS, n), industry=firm["industry_code"])
    orders = _orders(rng, ids, seg, lam, value, first_order)
    interactions = _interactions(rng, ids, seg, decl)
    names = list(SEGMENTS)
    truth["_customers"].append(pd.DataFrame({"customer_id": ids, "segment": np.array(names)[seg], "decliner": decl,
                                             "expected_revenue": expected, "size_class": firm["size_class"],
                                             "propensity": seg_p[:, :2].sum(axis=1)}))
    raw, next_id = _dirty_customers(rng, clean, next_id + n, truth)
    pairs = [d for d in truth["duplicates"] if d["customer_id"] in set(raw["customer_id"].iloc[n:])]
    orders = _dirty_orders(rng, _move_to_duplicates(rng, orders, pairs), truth)
    interactions = _move_to_duplicates(rng, interactions, pairs)
    return raw[CUSTOMER_COLUMNS], orders, interactions, next_id


def _append(con, name: str, df: pd.DataFrame, first: bool) -> None:
    con.register("chunk", df)
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM chunk" if first else f"INSERT INTO {name} SELECT * FROM chunk")
    con.unregister("chunk")


def generate(out_dir: str | Path, customers: int = 5000, seed: int = 20240601) -> dict:
    """Write ``crm.duckdb`` and ``truth.json`` into ``out_dir``; return the truth.

    Parameters
    ----------
    out_dir : path
        Folder for the database and the truth file (created if missing).
    customers : int
        Number of distinct companies (duplicates come on top, about 4%).
    seed : int
        Everything is drawn from this seed; the same seed gives the same database.

    Returns
    -------
    dict
        The planted truth (also written to ``truth.json``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp_db = out / f".crm.{seed}.duckdb.tmp"
    tmp_db.unlink(missing_ok=True)
    truth: dict = {"seed": seed, "customers": customers, "window": [str(START.date()), str(END.date())],
                   "as_of": str((END + pd.Timedelta(days=1)).date()), "decline_months": DECLINE_MONTHS,
                   "duplicates": [], "missing": [], "impossible": [], "unit_mistakes": [], "spelling_variants": [],
                   "_customers": []}
    used = {"name": set(), "credit_code": set(), "phone": set(), "email": set()}
    con = duckdb.connect(str(tmp_db))
    next_id, first_order, counts = 1, 1, {"customers": 0, "orders": 0, "interactions": 0}
    try:
        for k, start in enumerate(range(0, customers, CHUNK)):
            n = min(CHUNK, customers - start)
            cust, orders, inter, next_id = _customer_chunk(_rng(seed, 1, k), n, next_id, used, truth, first_order)
            first_order += len(orders)
            for name, df in (("customers", cust), ("orders", orders), ("interactions", inter)):
                _append(con, name, df, first=k == 0)
                counts[name] += len(df)
        people = pd.concat(truth.pop("_customers"), ignore_index=True)
        first_chunk = people["customer_id"].iloc[: min(customers, CHUNK)].to_numpy()
        rng = _rng(seed, 2)
        survey = _survey(rng, rng.choice(first_chunk, min(int(0.3 * len(first_chunk)), 15_000), replace=False), truth)
        design, responses = _conjoint(rng, rng.choice(first_chunk, min(400, len(first_chunk)), replace=False), truth)
        prospects = _prospects(rng, max(min(customers // 2, 100_000), 10), used, truth)
        for name, df in (("survey", survey), ("conjoint_design", design), ("conjoint_responses", responses), ("prospects", prospects)):
            _append(con, name, df, first=True)
            counts[name] = len(df)
        con.close()
        tmp_db.replace(out / "crm.duckdb")
    except BaseException:
        con.close()
        tmp_db.unlink(missing_ok=True)
        raise
    key_cut = people["expected_revenue"].quantile(0.8)
    key = people["expected_revenue"] >= key_cut
    future_key = ~key & (people["size_class"] == "large") & people["segment"].isin(["steady", "small"])
    truth.update(
        counts=counts,
        segments={s: people.loc[people["segment"] == s, "customer_id"].tolist() for s in SEGMENTS},
        segment_spec={s: {k: v for k, v in spec.items()} for s, spec in SEGMENTS.items()},
        key_accounts={"rule": "top 20% of customers by planted expected revenue over the 24 months",
                      "expected_revenue_cut": float(key_cut), "customer_ids": people.loc[key, "customer_id"].tolist()},
        decliners={"rule": f"orders and interactions x{DECLINE_FACTOR} in the last {DECLINE_MONTHS} months; drawn (15%) among the top 20% by expected revenue before the decline",
                   "customer_ids": people.loc[people["decliner"], "customer_id"].tolist()},
        future_key_accounts={"rule": "large companies buying like steady or small customers",
                             "customer_ids": people.loc[future_key, "customer_id"].tolist()},
    )
    atomic_write_json(out / "truth.json", truth)
    return truth
