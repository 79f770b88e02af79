"""Chinese reference data: industries, places, credit codes.

For cleaning (complete, from data files with their source, see resources/reference/README.md):

- :func:`match_industry`: free text to a GB/T 4754-2017 division (大类) and section (门类), by code,
  exact name, synonym and longest keyword;
- :func:`match_place`: province and city spellings to GB/T 2260 units (all 34 provincial-level
  units, prefecture-level and county-level cities, from the ``cpca`` package's division codes) with
  their region (华北, 东北, 华东, 华中, 华南, 西南, 西北, 港澳台);
- :func:`is_valid_credit_code`: GB 32100-2015 unified social credit codes (python-stdnum's
  ``stdnum.cn.uscc``).

For the sample generator only: :data:`INDUSTRY_SECTIONS` and :data:`PROVINCES`, the short lists it
draws companies from (changing them changes the sample), and the check-character helpers it uses
to write valid codes.
"""
from __future__ import annotations

import csv
import functools
import importlib.util
import re
import unicodedata
from pathlib import Path

import pandas as pd
from stdnum.cn import uscc

REGIONS = ("华北", "东北", "华东", "华中", "华南", "西南", "西北", "港澳台")

#: the sample generator's sections: code -> (canonical name, spellings it writes). Cleaning reads
#: the complete standard from resources/reference/gbt4754_2017.csv (:func:`industries`).
INDUSTRY_SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "A": ("农、林、牧、渔业", ("农林牧渔", "农业", "农林牧渔业", "agriculture")),
    "B": ("采矿业", ("采矿", "矿业", "mining")),
    "C": ("制造业", ("制造", "生产制造", "工业制造", "manufacturing")),
    "D": ("电力、热力、燃气及水生产和供应业", ("电力", "能源", "电力热力燃气", "utilities")),
    "E": ("建筑业", ("建筑", "建筑工程", "construction")),
    "F": ("批发和零售业", ("批发零售", "零售", "批发", "商贸", "wholesale and retail")),
    "G": ("交通运输、仓储和邮政业", ("物流", "交通运输", "运输仓储", "logistics")),
    "H": ("住宿和餐饮业", ("餐饮", "酒店餐饮", "住宿餐饮", "hospitality")),
    "I": ("信息传输、软件和信息技术服务业", ("IT", "软件", "信息技术", "互联网", "软件和信息技术服务业", "information technology")),
    "J": ("金融业", ("金融", "银行", "保险", "finance")),
    "K": ("房地产业", ("房地产", "地产", "real estate")),
    "L": ("租赁和商务服务业", ("商务服务", "租赁", "business services")),
    "M": ("科学研究和技术服务业", ("科研", "技术服务", "科学研究", "research")),
    "N": ("水利、环境和公共设施管理业", ("环保", "水利环境", "environment")),
    "O": ("居民服务、修理和其他服务业", ("居民服务", "修理", "other services")),
    "P": ("教育", ("教育培训", "培训", "education")),
    "Q": ("卫生和社会工作", ("医疗", "卫生", "医疗卫生", "health")),
    "R": ("文化、体育和娱乐业", ("文化娱乐", "文体娱乐", "传媒", "culture")),
}

#: the sample generator's provinces: province -> (region, short names, GB/T 2260 code, {city: city code}).
#: Cleaning reads every division from the cpca package (:func:`places`).
PROVINCES: dict[str, tuple[str, tuple[str, ...], str, dict[str, str]]] = {
    "北京市": ("华北", ("北京",), "110000", {"北京市": "110100"}),
    "天津市": ("华北", ("天津",), "120000", {"天津市": "120100"}),
    "河北省": ("华北", ("河北",), "130000", {"石家庄市": "130100", "唐山市": "130200"}),
    "山西省": ("华北", ("山西",), "140000", {"太原市": "140100"}),
    "内蒙古自治区": ("华北", ("内蒙古", "内蒙"), "150000", {"呼和浩特市": "150100"}),
    "辽宁省": ("东北", ("辽宁",), "210000", {"沈阳市": "210100", "大连市": "210200"}),
    "吉林省": ("东北", ("吉林",), "220000", {"长春市": "220100"}),
    "黑龙江省": ("东北", ("黑龙江",), "230000", {"哈尔滨市": "230100"}),
    "上海市": ("华东", ("上海", "沪"), "310000", {"上海市": "310100"}),
    "江苏省": ("华东", ("江苏", "苏"), "320000", {"南京市": "320100", "苏州市": "320500", "无锡市": "320200"}),
    "浙江省": ("华东", ("浙江", "浙"), "330000", {"杭州市": "330100", "宁波市": "330200"}),
    "安徽省": ("华东", ("安徽",), "340000", {"合肥市": "340100"}),
    "福建省": ("华东", ("福建",), "350000", {"福州市": "350100", "厦门市": "350200"}),
    "江西省": ("华东", ("江西",), "360000", {"南昌市": "360100"}),
    "山东省": ("华东", ("山东", "鲁"), "370000", {"济南市": "370100", "青岛市": "370200"}),
    "河南省": ("华中", ("河南",), "410000", {"郑州市": "410100"}),
    "湖北省": ("华中", ("湖北",), "420000", {"武汉市": "420100"}),
    "湖南省": ("华中", ("湖南",), "430000", {"长沙市": "430100"}),
    "广东省": ("华南", ("广东", "粤"), "440000", {"广州市": "440100", "深圳市": "440300", "东莞市": "441900", "佛山市": "440600"}),
    "广西壮族自治区": ("华南", ("广西",), "450000", {"南宁市": "450100"}),
    "海南省": ("华南", ("海南",), "460000", {"海口市": "460100"}),
    "重庆市": ("西南", ("重庆",), "500000", {"重庆市": "500100"}),
    "四川省": ("西南", ("四川", "川"), "510000", {"成都市": "510100"}),
    "贵州省": ("西南", ("贵州",), "520000", {"贵阳市": "520100"}),
    "云南省": ("西南", ("云南",), "530000", {"昆明市": "530100"}),
    "陕西省": ("西北", ("陕西",), "610000", {"西安市": "610100"}),
    "甘肃省": ("西北", ("甘肃",), "620000", {"兰州市": "620100"}),
    "新疆维吾尔自治区": ("西北", ("新疆",), "650000", {"乌鲁木齐市": "650100"}),
}

#: legal-form suffixes, longest first so that stripping takes the whole suffix
LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团有限公司", "集团", "（中国）", "(中国)",
                  "Co., Ltd.", "Co.,Ltd.", "Co. Ltd.", "Ltd.", "Inc.", "Corp.", "Limited")

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check(body: str) -> str:
    """GB 11714 check character of an 8-character organization code body."""
    total = sum(CREDIT_CODE_CHARS.index(ch) * w for ch, w in zip(body, _ORG_WEIGHTS))
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def credit_code_check(first17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters of a credit code."""
    total = sum(CREDIT_CODE_CHARS.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def is_valid_credit_code(code: object) -> bool:
    """True when ``code`` is an 18-character unified social credit code with a correct check
    character (GB 32100-2015; python-stdnum's ``stdnum.cn.uscc``, which also checks the
    organization-code part).

    Examples
    --------
    >>> is_valid_credit_code("91350100M000100Y43")
    True
    >>> is_valid_credit_code("91350100M000100Y44")
    False
    """
    if not isinstance(code, str) or len(code) != 18:
        return False
    return bool(uscc.is_valid(code.upper()))



# --------------------------------------------------------------------------- GB/T 4754-2017
_DATA = Path(__file__).resolve().parents[1] / "resources" / "reference"
_PUNCT = re.compile(r"[\s、，,。.;；:：/（）()\-_·&＋+]+")
_LATIN = re.compile(r"^[a-z0-9 ]+$")
_CODE = re.compile(r"^([a-t])?\s*(\d{2})(\d{1,2})?(?![\d])")


def _key(text: str) -> str:
    """Text as the matchers compare it: NFKC, lower case, no spaces or punctuation."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", str(text)).strip().lower())


@functools.lru_cache(maxsize=1)
def industries() -> pd.DataFrame:
    """GB/T 4754-2017: one row per section (``division`` empty) and per division, with the
    section's and division's official names and custlab's synonyms (resources/reference)."""
    with open(_DATA / "gbt4754_2017.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    table = pd.DataFrame(rows).astype("string")
    names = table[table["division"] == ""].set_index("section")["name"]
    table["section_name"] = table["section"].map(names)
    table["division"] = table["division"].mask(table["division"] == "")
    return table


@functools.lru_cache(maxsize=1)
def _industry_index() -> tuple[dict[str, tuple[str, str | None]], list[tuple[str, str, str | None]]]:
    """(exact spellings -> (section, division), keywords longest first as (keyword, section, division))."""
    exact: dict[str, tuple[str, str | None]] = {}
    keywords: list[tuple[str, str, str | None]] = []
    for row in industries().itertuples():
        target = (row.section, None if pd.isna(row.division) else row.division)
        spellings = [row.name] + [s for s in (row.synonyms or "").split("|") if s]
        for spelling in spellings:
            key = _key(spelling)
            exact.setdefault(key, target)
            stem = key.removesuffix("业") if len(key) > 3 else key  # 汽车制造业 -> 汽车制造
            exact.setdefault(stem, target)
            for word in {key, stem}:
                if not _LATIN.match(word) and len(word) >= 2:  # Latin words only as the whole text
                    keywords.append((word, *target))
        if target[1] is not None:
            exact.setdefault(target[1], target)
        else:
            exact.setdefault(row.section.lower(), target)
    keywords.sort(key=lambda k: (-len(k[0]), k[2] is None))  # longest first; a division before its section
    return exact, keywords


def _parse_code(key: str, divisions: dict[str, str]) -> tuple[str, str | None] | None:
    """'c36', '36', 'c3610', '3610' (a class code, read to its division) or 'c' alone."""
    if len(key) == 1 and "a" <= key <= "t":
        return key.upper(), None
    m = _CODE.match(key)
    if m and m.group(2) in divisions and (m.group(1) is None or m.group(1).upper() == divisions[m.group(2)]):
        return divisions[m.group(2)], m.group(2)
    return None


def match_industry(values, synonyms: dict[str, str] | None = None) -> pd.DataFrame:
    """Free-text industries to GB/T 4754-2017 sections and divisions.

    Tried in order on each distinct text: the user's ``synonyms`` (text -> a code such as ``C36``,
    ``36`` or ``C``), a code ("C36", "3610", "C"), an exact name or known synonym (with or without
    its closing 业), then the longest known keyword inside the text (汽车零部件制造 -> 汽车 -> C36).

    Parameters
    ----------
    values : sequence of str
        Industries as written.
    synonyms : dict, optional
        The user's spellings and their code (``cleaning.industry_synonyms``).

    Returns
    -------
    DataFrame
        Index as ``values``; ``section`` (A-T), ``section_name``, ``division`` (01-97, missing
        when only the section is known), ``division_name`` and ``matched_by`` (synonym, code,
        name, keyword); all missing where nothing matched.

    Examples
    --------
    >>> match_industry(["汽车制造", "软件开发", "互联网", "批发零售", "餐饮", "C 制造业", "3610", "奶茶"])[["section", "division"]].fillna("-").agg("".join, axis=1).tolist()
    ['C36', 'I65', 'I64', 'F-', 'H62', 'C-', 'C36', '--']
    """
    values = pd.Series(values, dtype="string") if not isinstance(values, pd.Series) else values.astype("string")
    table = industries()
    div = table.dropna(subset=["division"]).set_index("division")
    divisions = div["section"].to_dict()
    exact, keywords = _industry_index()
    user = {}
    for text, code in (synonyms or {}).items():
        parsed = _parse_code(_key(code), divisions)
        if parsed is None:
            from ..errors import ParamsError

            raise ParamsError(f"cleaning.industry_synonyms: {text!r} maps to {code!r}, which is not a GB/T 4754-2017 "
                              "code: give a section letter (C), a division (36) or both (C36).")
        user[_key(text)] = parsed

    def one(text: str) -> tuple[str | None, str | None, str | None]:
        key = _key(text)
        if not key:
            return None, None, None
        if key in user:
            return (*user[key], "synonym")
        if (code := _parse_code(key, divisions)) is not None:
            return (*code, "code")
        if key in exact:
            return (*exact[key], "name")
        words = _PUNCT.sub("", re.sub(r"^[a-t]?\s*\d{2,4}", "", key))  # "c 制造业" after its code
        if words in exact:
            return (*exact[words], "name")
        for word, section, division in keywords:
            if word in key:
                return section, division, "keyword"
        return None, None, None

    distinct = values.dropna().unique()
    found = pd.DataFrame([one(v) for v in distinct], index=distinct, columns=["section", "division", "matched_by"])
    out = found.reindex(values.to_numpy()).set_axis(values.index).astype("string")
    out.insert(1, "section_name", out["section"].map(table[table["division"].isna()].set_index("section")["name"]))
    out.insert(3, "division_name", out["division"].map(div["name"]))
    return out.astype("string")


# --------------------------------------------------------------------------- GB/T 2260
#: provincial-level unit (first two digits of its code) -> region
REGION_OF_PROVINCE = {
    **dict.fromkeys(("11", "12", "13", "14", "15"), "华北"), **dict.fromkeys(("21", "22", "23"), "东北"),
    **dict.fromkeys(("31", "32", "33", "34", "35", "36", "37"), "华东"), **dict.fromkeys(("41", "42", "43"), "华中"),
    **dict.fromkeys(("44", "45", "46"), "华南"), **dict.fromkeys(("50", "51", "52", "53", "54"), "西南"),
    **dict.fromkeys(("61", "62", "63", "64", "65"), "西北"), **dict.fromkeys(("71", "81", "82"), "港澳台"),
}
PROVINCE_SUFFIX = re.compile(r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
CITY_SUFFIX = re.compile(r"(?:市|地区|盟|(?:[\u4e00-\u9fff]{1,8}?族)+自治州|自治州|县|自治县|旗|区)$")
#: the ending of any GB/T 2260 unit's name: its stem is the name without it (浙江省 -> 浙江, 萧山区 -> 萧山)
PLACE_SUFFIX = re.compile(r"(?:省|市|(?:壮族|回族|维吾尔)?自治区|特别行政区|地区|盟|(?:[\u4e00-\u9fff]{1,8}?族)+自治州|自治州|自治县|县|旗|区)$")
_PLACEHOLDER_UNITS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def _adcodes_file() -> Path:
    spec = importlib.util.find_spec("cpca")  # located, not imported: cpca builds its address matcher on import
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


@functools.lru_cache(maxsize=1)
def places() -> pd.DataFrame:
    """GB/T 2260 units from the cpca package: ``code`` (6 digits), ``name``, ``level`` (province,
    prefecture or county), ``province`` and ``prefecture`` (the names above it) and ``region``."""
    raw = pd.read_csv(_adcodes_file(), dtype=str, usecols=["adcode", "name"])
    raw = raw[~raw["name"].isin(_PLACEHOLDER_UNITS)]
    code = raw["adcode"].str[:6]
    level = pd.Series("county", index=raw.index).mask(code.str[2:] == "0000", "province").mask(
        (code.str[2:] != "0000") & (code.str[4:] == "00"), "prefecture")
    table = pd.DataFrame({"code": code, "name": raw["name"].str.strip(), "level": level})
    names = table.set_index("code")["name"]
    table["province"] = (table["code"].str[:2] + "0000").map(names)
    table["prefecture"] = (table["code"].str[:4] + "00").map(names).where(table["level"] != "province")
    municipal = table["code"].str[:2].isin(("11", "12", "31", "50"))  # 直辖市: the city is the province
    table.loc[municipal & (table["level"] != "province"), "prefecture"] = table["province"]
    table["region"] = table["code"].str[:2].map(REGION_OF_PROVINCE)
    return table.sort_values("code").reset_index(drop=True).astype("string")


def _stems(name: str, pattern: re.Pattern) -> set[str]:
    stem = pattern.sub("", name)
    return {name, stem} if len(stem) >= 2 else {name}


@functools.lru_cache(maxsize=1)
def _place_index() -> tuple[dict[str, str], dict[str, str]]:
    """(province spellings -> province code, city spellings -> unit code). A spelling shared by
    two units (朝阳区 in Beijing and Changchun) is left out rather than guessed."""
    table = places()
    provinces: dict[str, str] = {}
    for row in table[table["level"] == "province"].itertuples():
        for s in _stems(row.name, PROVINCE_SUFFIX) | {row.name.replace("壮族", "").replace("回族", "").replace("维吾尔", "")}:
            provinces[s] = row.code
    provinces.update({"内蒙": "150000", "港": "810000", "澳": "820000", "台": "710000"})
    cities: dict[str, set[str]] = {}
    for row in table[table["level"] != "province"].itertuples():
        for s in _stems(row.name, CITY_SUFFIX):
            cities.setdefault(s, set()).add(row.code)
    for row in table[table["level"] == "province"].itertuples():  # a municipality or SAR is a city too
        if row.code[:2] in ("11", "12", "31", "50", "81", "82"):
            for s in _stems(row.name, PROVINCE_SUFFIX):
                cities[s] = {row.code}
    unique = {s: next(iter(c)) for s, c in cities.items() if len(c) == 1}
    # a prefecture wins over a county of the same stem (吉林市 over 吉林 the province is for province_of)
    for s, c in cities.items():
        prefectures = [x for x in c if x[4:] == "00"]
        if len(c) > 1 and len(prefectures) == 1:
            unique[s] = prefectures[0]
    return provinces, unique


def match_place(province, city, synonyms: dict[str, str] | None = None) -> pd.DataFrame:
    """Province and city as written to GB/T 2260 units and their region.

    A city may be a prefecture-level or county-level city (诸暨 -> 诸暨市, 浙江省), written with or
    without 市, or with its province in front (浙江杭州, 浙江省杭州市); a province in its full or short
    form (宁夏, 宁夏回族自治区). The province comes from the city where it is missing or where the
    province column holds a city. ``synonyms`` (``cleaning.place_synonyms``) map the user's own
    spellings to a unit's name or six-digit code.

    Returns
    -------
    DataFrame
        ``province``, ``city`` (the unit's official name: 杭州市, 诸暨市), ``prefecture`` (绍兴市 for
        诸暨市), ``region`` and ``place_code`` (the most precise unit's code); missing where
        nothing matched.

    Examples
    --------
    >>> match_place(["宁夏", None, "浙江", "香港"], ["银川", "诸暨市", "浙江省杭州市", None])[["province", "city", "region"]].values.tolist()
    [['宁夏回族自治区', '银川市', '西北'], ['浙江省', '诸暨市', '华东'], ['浙江省', '杭州市', '华东'], ['香港特别行政区', <NA>, '港澳台']]
    """
    table = places().set_index("code")
    provinces, cities = _place_index()
    user: dict[str, str] = {}
    by_name = {n: c for c, n in table["name"].items()}
    for text, target in (synonyms or {}).items():
        code = str(target) if str(target) in table.index else by_name.get(str(target))
        if code is None:
            from ..errors import ParamsError

            raise ParamsError(f"cleaning.place_synonyms: {text!r} maps to {target!r}, which is neither the name nor the "
                              "six-digit code of a GB/T 2260 unit (e.g. 绍兴市 or 330600).")
        user[_key(text)] = code

    def city_code(text: str) -> str | None:
        key = _key(text)
        if not key:
            return None
        if key in user:
            return user[key]
        if key in cities:
            return cities[key]
        for p in sorted((p for p in provinces if key.startswith(p) and len(key) > len(p)), key=len, reverse=True):
            rest = key[len(p):]  # 浙江省杭州市, 浙江杭州
            if rest in cities and cities[rest][:2] == provinces[p][:2]:
                return cities[rest]
        return None

    def province_code(text: str) -> str | None:
        key = _key(text)
        if not key:
            return None
        if key in user:
            return user[key][:2] + "0000"
        return provinces.get(key) or (cities[key][:2] + "0000" if key in cities else None)

    prov = pd.Series(province, dtype="string").reset_index(drop=True)
    cty = pd.Series(city, dtype="string").reset_index(drop=True)
    p_code = prov.map(province_code, na_action="ignore").astype("string")
    c_code = cty.map(city_code, na_action="ignore").astype("string")
    as_city = c_code.isna() & p_code.notna() & ~prov.map(lambda v: _key(v) in provinces, na_action="ignore").astype("boolean").fillna(False)
    c_code = c_code.mask(as_city, prov.map(city_code, na_action="ignore").astype("string"))  # 昆山 in the province column
    p_code = p_code.where(p_code.notna(), c_code.str[:2] + "0000")
    c_code = c_code.where(c_code.isna() | p_code.isna() | (c_code.str[:2] == p_code.str[:2]))  # 朝阳 under another province
    names = table["name"]
    out = pd.DataFrame({
        "province": p_code.map(names),
        "city": c_code.map(lambda c: names[c] if c[2:] != "0000" or c[:2] in ("11", "12", "31", "50", "81", "82") else None,
                           na_action="ignore"),
        "prefecture": c_code.map(lambda c: table["prefecture"][c] if c[2:] != "0000" else names[c], na_action="ignore"),
        "region": p_code.str[:2].map(REGION_OF_PROVINCE),
        "place_code": c_code.fillna(p_code),
    }).astype("string")
    index = province.index if isinstance(province, pd.Series) else (city.index if isinstance(city, pd.Series) else None)
    return out.set_axis(index) if index is not None else out
