import pandas as pd
import pytest

from custlab.data import reference
from custlab.errors import ParamsError


def test_gbt4754_has_every_section_and_division():
    table = reference.industries()
    sections = table[table["division"].isna()]
    divisions = table.dropna(subset=["division"])
    assert sections["section"].tolist() == list("ABCDEFGHIJKLMNOPQRST")
    assert divisions["division"].tolist() == [f"{d:02d}" for d in range(1, 98)]
    # the section of each division as the standard groups them (first and last division per section)
    bounds = divisions.groupby("section")["division"].agg(["first", "last"]).apply(tuple, axis=1).to_dict()
    assert bounds == {"A": ("01", "05"), "B": ("06", "12"), "C": ("13", "43"), "D": ("44", "46"), "E": ("47", "50"),
                      "F": ("51", "52"), "G": ("53", "60"), "H": ("61", "62"), "I": ("63", "65"), "J": ("66", "69"),
                      "K": ("70", "70"), "L": ("71", "72"), "M": ("73", "75"), "N": ("76", "79"), "O": ("80", "82"),
                      "P": ("83", "83"), "Q": ("84", "85"), "R": ("86", "90"), "S": ("91", "96"), "T": ("97", "97")}
    assert divisions.set_index("division").loc["36", "name"] == "汽车制造业"


@pytest.mark.parametrize("text, section, division", [
    ("汽车制造", "C", "36"), ("电子元器件", "C", "39"), ("软件开发", "I", "65"), ("医药制造", "C", "27"),
    ("化工", "C", "26"), ("互联网", "I", "64"), ("批发零售", "F", None), ("餐饮", "H", "62"),
    ("教育培训", "P", "83"), ("公共管理", "S", None), ("汽车零部件制造", "C", "36"), ("C36", "C", "36"),
    ("c 36 汽车制造业", "C", "36"), ("3670", "C", "36"), ("I", "I", None), ("制造业", "C", None),
    ("信息传输、软件和信息技术服务业", "I", None), ("Manufacturing", "C", None), ("国际组织", "T", None),
])
def test_free_text_industries_match_their_division_and_section(text, section, division):
    got = reference.match_industry([text]).iloc[0]
    assert (got["section"], None if pd.isna(got["division"]) else got["division"]) == (section, division)


def test_unknown_industries_stay_unmatched_and_user_synonyms_win():
    got = reference.match_industry(["奶茶", "kitchen", "", None])
    assert got["section"].isna().all()  # 'kitchen' does not match the Latin synonym 'IT' inside it
    mine = reference.match_industry(["奶茶", "化工"], synonyms={"奶茶": "H62", "化工": "C28"})
    assert mine["division"].tolist() == ["62", "28"] and mine["matched_by"].tolist() == ["synonym", "synonym"]
    with pytest.raises(ParamsError, match="industry_synonyms: '奶茶' maps to 'Z9'.*section letter"):
        reference.match_industry(["奶茶"], synonyms={"奶茶": "Z9"})


def test_every_provincial_unit_with_its_region():
    table = reference.places()
    provinces = table[table["level"] == "province"]
    assert len(provinces) == 34
    assert provinces["region"].value_counts().to_dict() == {"华东": 7, "西南": 5, "西北": 5, "华北": 5, "东北": 3,
                                                           "华中": 3, "华南": 3, "港澳台": 3}
    assert (table["level"] == "prefecture").sum() > 330


@pytest.mark.parametrize("province, city, expected", [
    ("宁夏", "银川", ("宁夏回族自治区", "银川市", "西北")), ("青海", None, ("青海省", None, "西北")),
    ("西藏", "拉萨市", ("西藏自治区", "拉萨市", "西南")), ("香港", None, ("香港特别行政区", None, "港澳台")),
    (None, "诸暨", ("浙江省", "诸暨市", "华东")), (None, "昆山市", ("江苏省", "昆山市", "华东")),
    (None, "浙江省杭州市", ("浙江省", "杭州市", "华东")), ("广西壮族自治区", "柳州", ("广西壮族自治区", "柳州市", "华南")),
    ("内蒙", "鄂尔多斯", ("内蒙古自治区", "鄂尔多斯市", "华北")), ("义乌", None, ("浙江省", "义乌市", "华东")),
    ("北京", "北京", ("北京市", "北京市", "华北")), ("吉林", "吉林", ("吉林省", "吉林市", "东北")),
])
def test_places_as_written_match_their_unit(province, city, expected):
    got = reference.match_place([province], [city]).iloc[0]
    assert tuple(None if pd.isna(got[c]) else got[c] for c in ("province", "city", "region")) == expected


def test_a_city_under_another_province_is_not_taken_and_synonyms_map_to_units():
    got = reference.match_place(["江苏"], ["杭州"]).iloc[0]
    assert got["province"] == "江苏省" and pd.isna(got["city"])
    mine = reference.match_place([None], ["魔都"], synonyms={"魔都": "上海市"}).iloc[0]
    assert (mine["province"], mine["region"]) == ("上海市", "华东")
    assert reference.match_place([None], ["诸暨"], synonyms={}).iloc[0]["prefecture"] == "绍兴市"
    with pytest.raises(ParamsError, match="place_synonyms: '魔都' maps to '魔都市'"):
        reference.match_place([None], ["魔都"], synonyms={"魔都": "魔都市"})


def test_sample_spellings_all_match():
    """The sample generator's own lists (kept for reproducible samples) are a subset of the reference."""
    provinces, cities, expected = [], [], []
    for name, (region, shorts, _, towns) in reference.PROVINCES.items():
        for town in towns:
            for p in (name, *shorts):
                provinces.append(p), cities.append(town.removesuffix("市")), expected.append((name, town, region))
    got = reference.match_place(provinces, cities)
    assert list(zip(got["province"], got["city"], got["region"])) == expected
    for code, (name, variants) in reference.INDUSTRY_SECTIONS.items():
        assert set(reference.match_industry([name, code, *variants])["section"]) == {code}
