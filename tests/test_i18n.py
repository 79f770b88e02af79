import pytest

from custlab import i18n


def test_every_string_in_both_languages():
    for key, texts in i18n.STRINGS.items():
        assert set(texts) >= set(i18n.LANGUAGES), key
        assert all(texts[lang].strip() for lang in i18n.LANGUAGES), key


def test_format_and_errors():
    assert i18n.t("notebooks_ok", "zh", ok=2, total=3) == "3 个报告中 2 个成功"
    assert i18n.t("notebooks_ok", "en", ok=2, total=3) == "2 of 3 notebooks succeeded"
    with pytest.raises(KeyError, match="add it in en and zh"):
        i18n.t("no_such_key")
    with pytest.raises(ValueError, match="language must be one of"):
        i18n.t("run", "fr")
    with pytest.raises(ValueError, match="lacks \\['zh'\\]"):
        i18n.register({"x_only_en": {"en": "x"}})


def test_table_labels_in_both_languages_and_leadership_tables_translated():
    for key, texts in {**i18n.LABELS, **i18n.VALUES, **i18n.METRICS, **i18n.CRITERIA, **i18n.REASONS}.items():
        assert set(texts) >= set(i18n.LANGUAGES) and all(texts[lang].strip() for lang in i18n.LANGUAGES), key
    assert i18n.label("revenue_share", "zh") == "收入占比" and i18n.label("not_a_label", "zh") == "not_a_label"
    import pandas as pd
    from custlab import report
    df = pd.DataFrame({"customers": [3], "phone": ["13800138000"]}, index=pd.Index(["high"], name="tier"))
    assert i18n.label("customers", "zh") == "客户数" and i18n.label("customers", "zh", i18n.VALUES) == "客户"
    report.set_language("zh")
    try:
        labelled = report._labelled(df)
    finally:
        report.set_language("en")
    assert list(labelled.columns) == ["客户数", "电话"] and labelled.index.tolist() == ["高价值"] and labelled.index.name == "价值层级"


def test_table_values_are_translated_by_their_column():
    import numpy as np
    import pandas as pd

    from custlab import report

    for column, values in i18n.COLUMN_VALUES.items():
        for key, texts in values.items():
            assert all(texts[lang].strip() for lang in i18n.LANGUAGES), (column, key)
    tags = pd.DataFrame({"customers": [7, 246, 33]}, index=pd.MultiIndex.from_tuples(
        [("frequency", "dormant"), ("frequency", "high"), ("size", "large")], names=["tag", "level"]))
    profile = pd.DataFrame({"main_tier": ["medium"], "main_size_class": ["medium"], "balanced": [np.True_],
                            "note": ["high"]}, index=pd.Index(["C1"], name="rfmai_class"))
    quarantine = pd.DataFrame({"table": ["orders"], "column": ["amount"], "value": [-2017.73],
                               "reason": ["negative_amount"], "scope": ["row"]})
    changes = pd.DataFrame({"column": ["channel"], "before": ["high"], "after": ["High"]})
    report.set_language("zh")
    try:
        tags_zh, profile_zh = report._labelled(tags), report._labelled(profile)
        quarantine_zh = report._labelled(quarantine, {"value": "offending_value"})
        changes_zh = report._labelled(changes, {"before": "value_before", "after": "value_after"})
    finally:
        report.set_language("en")
    profile_en = report._labelled(profile)
    # a level is not a value tier: "high" purchase frequency is 高, not 高价值
    assert tags_zh.index.tolist() == [("采购频次", "休眠"), ("采购频次", "高"), ("规模", "大型")]
    assert profile_zh.iloc[0].tolist() == ["中价值", "中型", "是", "high"]  # a column not listed keeps its values
    assert profile_en.iloc[0].tolist() == ["Medium", "Medium", "Yes", "high"]
    assert list(quarantine_zh.columns) == ["表", "字段", "值", "原因", "范围"]  # "value" here is not revenue
    assert quarantine_zh.iloc[0].tolist() == ["订单", "金额", -2017.73, "金额为负", "整行"]
    # a value before cleaning is data, not a tier, even where "before" elsewhere holds last run's tier
    assert list(changes_zh.columns) == ["字段", "清洗前", "清洗后"] and changes_zh.iloc[0, 1:].tolist() == ["high", "High"]
    assert [i18n.value_label("rule", r, "zh") for r in ("exact:credit_code", "exact:phone", "fuzzy")] == [
        "统一社会信用代码相同", "电话相同", "名称等信息相似"]
    assert i18n.value_label("rule", "exact:email", "en") == "same e-mail"


def test_no_string_table_names_a_key_twice():
    # a dict literal keeps the last of two equal keys without a word: a new label would silently
    # replace an old one (a simulator's "product" once renamed the orders' product column)
    import ast

    from custlab import i18n

    tree = ast.parse(open(i18n.__file__, encoding="utf-8").read())
    repeated = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            repeated += [(node.lineno, k) for k in set(keys) if keys.count(k) > 1]
    assert repeated == []


def test_each_analysis_keeps_its_strings_in_its_own_catalogue(tmp_path):
    """Strings live in YAML beside each analysis; one loader merges them and refuses a key two
    catalogues define, or an entry missing a language, naming the file."""
    from pathlib import Path

    package = Path(i18n.__file__).resolve().parent
    catalogues = sorted(str(p.relative_to(package)) for pattern in i18n.CATALOGUES for p in package.glob(pattern))
    assert "analyses/segments/strings.yaml" in catalogues and "data/cleaning/strings.yaml" in catalogues
    assert len(catalogues) == 9
    assert i18n.t("sg_apart", "zh", name="S1", traits="高频") == "S1：高频。"  # from analyses/segments/strings.yaml

    for folder in ("analyses/a", "analyses/b"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "analyses/a/strings.yaml").write_text("strings:\n  x_title: {en: Title, zh: 标题}\n", encoding="utf-8")
    assert i18n.load_catalogues(tmp_path)["strings"] == {"x_title": {"en": "Title", "zh": "标题"}}
    (tmp_path / "analyses/b/strings.yaml").write_text("strings:\n  x_title: {en: Other, zh: 其他}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"b/strings.yaml: strings 'x_title' is already defined in .*a/strings.yaml"):
        i18n.load_catalogues(tmp_path)
    (tmp_path / "analyses/b/strings.yaml").write_text("labels:\n  visits: {en: Visits}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"b/strings.yaml: labels 'visits' lacks \['zh'\]"):
        i18n.load_catalogues(tmp_path)
    (tmp_path / "analyses/b/strings.yaml").write_text("sentences:\n  y: {en: y, zh: y}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown section 'sentences'"):
        i18n.load_catalogues(tmp_path)
