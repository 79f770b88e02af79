"""Chinese reference data shared by the sample generator and cleaning.

- GB/T 4754-2017 industry sections (门类) with common free-text spellings;
- provinces with their region (华北, 东北, 华东, 华中, 华南, 西南, 西北), short names,
  GB/T 2260 administrative codes and main cities;
- GB 32100-2015 unified social credit codes and GB 11714 organization codes (check characters).
"""
from __future__ import annotations

REGIONS = ("华北", "东北", "华东", "华中", "华南", "西南", "西北")

#: GB/T 4754-2017 sections: code -> (canonical name, spellings seen in CRM exports)
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

#: province -> (region, short names, GB/T 2260 code, {city: city code})
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
    """True when ``code`` is an 18-character unified social credit code with a correct check character.

    Examples
    --------
    >>> is_valid_credit_code("91350100M000100Y43")
    True
    >>> is_valid_credit_code("91350100M000100Y44")
    False
    """
    if not isinstance(code, str) or len(code) != 18:
        return False
    code = code.upper()
    if any(ch not in CREDIT_CODE_CHARS for ch in code):
        return False
    return credit_code_check(code[:17]) == code[17]


def province_lookup() -> dict[str, str]:
    """Every spelling of a province (canonical, short, without 省/市) -> canonical name."""
    table = {}
    for name, (_, shorts, _, _) in PROVINCES.items():
        table[name] = name
        for s in shorts:
            table[s] = name
    return table


def city_lookup() -> dict[str, tuple[str, str]]:
    """Every spelling of a city (with or without 市) -> (canonical city, province)."""
    table = {}
    for prov, (_, _, _, cities) in PROVINCES.items():
        for city in cities:
            table[city] = (city, prov)
            table[city.removesuffix("市")] = (city, prov)
    return table


def industry_lookup() -> dict[str, str]:
    """Every known spelling of an industry (name, variant, code, 'C 制造业') -> section code."""
    table = {}
    for code, (name, variants) in INDUSTRY_SECTIONS.items():
        for spelling in (name, code, f"{code} {name}", f"{code}{name}", *variants):
            table[spelling.lower()] = code
    return table
