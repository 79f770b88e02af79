"""Every user-facing report string in English and Chinese.

Use :func:`t` with a key; ``language`` comes from the notebook parameters. A key missing in
either language is a programming error caught by the tests, not a blank in a report.
"""
from __future__ import annotations

LANGUAGES = ("en", "zh")

STRINGS: dict[str, dict[str, str]] = {
    # runner and index pages
    "run": {"en": "Run", "zh": "运行"},
    "runs": {"en": "custlab runs", "zh": "custlab 运行记录"},
    "notebook": {"en": "Notebook", "zh": "分析报告"},
    "status": {"en": "Status", "zh": "状态"},
    "seconds": {"en": "Seconds", "zh": "耗时（秒）"},
    "failing_cell": {"en": "Failing cell", "zh": "出错单元"},
    "error": {"en": "Error", "zh": "错误"},
    "key_numbers": {"en": "Key numbers", "zh": "关键指标"},
    "analyst_report": {"en": "Analyst report", "zh": "分析师版"},
    "leadership_report": {"en": "Leadership report", "zh": "管理层版"},
    "started": {"en": "Started", "zh": "开始时间"},
    "finished": {"en": "Finished", "zh": "结束时间"},
    "ok": {"en": "ok", "zh": "成功"},
    "failed": {"en": "failed", "zh": "失败"},
    "timeout": {"en": "timed out", "zh": "超时"},
    "notebooks_ok": {"en": "{ok} of {total} notebooks succeeded", "zh": "{total} 个报告中 {ok} 个成功"},
    "latest_run": {"en": "Latest complete run", "zh": "最近一次完整运行"},
    "git_commit": {"en": "Code version", "zh": "代码版本"},
    # data quality
    "dq_title": {"en": "Data quality of the customer database", "zh": "客户数据库数据质量报告"},
    # key accounts
    "ka_title": {"en": "Key accounts", "zh": "大客户分析"},
}


def t(key: str, language: str = "en", **values) -> str:
    """Return the report string ``key`` in ``language``, formatted with ``values``.

    Examples
    --------
    >>> t("notebooks_ok", "zh", ok=2, total=3)
    '3 个报告中 2 个成功'
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    try:
        text = STRINGS[key][language]
    except KeyError:
        raise KeyError(f"No report string '{key}' in custlab.i18n.STRINGS; add it in en and zh.") from None
    return text.format(**values) if values else text


def register(strings: dict[str, dict[str, str]]) -> None:
    """Add module-specific strings (each module keeps its own next to its code)."""
    for key, texts in strings.items():
        missing = [lang for lang in LANGUAGES if lang not in texts]
        if missing:
            raise ValueError(f"Report string '{key}' lacks {missing}: give it in every language.")
        if key in STRINGS and STRINGS[key] != texts:
            raise ValueError(f"Report string '{key}' is defined twice with different texts.")
        STRINGS[key] = texts
