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
