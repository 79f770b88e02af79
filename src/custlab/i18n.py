"""Every user-facing report string in English and Chinese, from the string catalogues.

Each analysis keeps its strings in a ``strings.yaml`` beside its code (``analyses/segments/strings.yaml``),
the runner its pages' in ``run/strings.yaml``, and what every report shares (charts, table headers,
row values) is in ``resources/strings.yaml``: translators edit YAML, never Python, and two analyses
never edit the same file. This module loads them all once and is the one way to choose a language:
:func:`t` with a key, :func:`label` for a table header, :func:`value_label` for a value. A key missing
in either language, or defined twice, is a programming error caught at import, not a blank in a report.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 5 times faster

LANGUAGES = ("en", "zh")

PACKAGE_DIR = Path(__file__).resolve().parent
#: the string catalogues, one per analysis beside its code (and one shared, one for the runner's pages)
CATALOGUES = ("resources/strings.yaml", "run/strings.yaml", "data/*/strings.yaml", "analyses/*/strings.yaml")
#: what a catalogue may hold: sentences and titles (t), table headers (label), row values, the run
#: index's names of key numbers, reasons, the key-account criteria, value tables, and which table
#: translates the values of which column
SECTIONS = ("strings", "labels", "values", "metrics", "reasons", "criteria", "tables", "column_values")


def load_catalogues(root: Path = PACKAGE_DIR) -> dict[str, dict[str, Any]]:
    """Every catalogue under ``root`` merged by section; a key two catalogues define, an unknown
    section or an entry missing a language is a ValueError naming the file."""
    merged: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
    where: dict[tuple[str, str], Path] = {}
    for pattern in CATALOGUES:
        for path in sorted(root.glob(pattern)):
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
            for section, entries in data.items():
                if section not in SECTIONS:
                    raise ValueError(f"{path}: unknown section '{section}'; the sections are {', '.join(SECTIONS)}.")
                for key, value in entries.items():
                    if (section, key) in where:
                        raise ValueError(f"{path}: {section} '{key}' is already defined in {where[section, key]}: "
                                         "a string belongs to one catalogue.")
                    if section not in ("tables", "column_values") and set(LANGUAGES) - set(value):
                        raise ValueError(f"{path}: {section} '{key}' lacks {sorted(set(LANGUAGES) - set(value))}: give it in every language.")
                    where[section, key] = path
                    merged[section][key] = value
    return merged


_CATALOGUES = load_catalogues()
STRINGS: dict[str, dict[str, str]] = _CATALOGUES["strings"]


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
        raise KeyError(f"No report string '{key}' in the string catalogues (strings.yaml beside each analysis); add it in en and zh.") from None
    return text.format(**values) if values else text


def p_text(p: float) -> str:
    """A p-value as a sentence writes it: "p < 0.001" below that, else "p = 0.0234" (3 significant digits).

    >>> p_text(0.0), p_text(0.02341)
    ('p < 0.001', 'p = 0.0234')
    """
    return "p < 0.001" if p < 0.001 else f"p = {p:.3g}"


def register(strings: dict[str, dict[str, str]]) -> None:
    """Add module-specific strings (each module keeps its own next to its code)."""
    for key, texts in strings.items():
        missing = [lang for lang in LANGUAGES if lang not in texts]
        if missing:
            raise ValueError(f"Report string '{key}' lacks {missing}: give it in every language.")
        if key in STRINGS and STRINGS[key] != texts:
            raise ValueError(f"Report string '{key}' is defined twice with different texts.")
        STRINGS[key] = texts


#: table headers and common table values in reports (a name not listed is shown as it is)
LABELS: dict[str, dict[str, str]] = _CATALOGUES["labels"]
#: values shown as row labels of report tables (tiers, groups, table names)
VALUES: dict[str, dict[str, str]] = _CATALOGUES["values"]
#: key numbers the notebooks record, as the run's index page names them (others by their own name)
METRICS: dict[str, dict[str, str]] = _CATALOGUES["metrics"]
#: the reasons rows and values were quarantined or changed by the cleaning, and why a customer is watched
REASONS: dict[str, dict[str, str]] = {**{key.removeprefix("reason_"): texts for key, texts in STRINGS.items() if key.startswith("reason_")},
                                      **_CATALOGUES["reasons"]}
#: the criteria of the key-account index (table rows and columns)
CRITERIA: dict[str, dict[str, str]] = _CATALOGUES["criteria"]
_NAMED = {"labels": LABELS, "values": VALUES, "criteria": CRITERIA, "reasons": REASONS, **_CATALOGUES["tables"]}
#: the values of a column or index level, by its name (a catalogue names one of the tables above, or
#: lists the values): a column not listed keeps its values as they are
COLUMN_VALUES: dict[str, dict[str, dict[str, str]]] = {
    column: _NAMED[values] if isinstance(values, str) else values for column, values in _CATALOGUES["column_values"].items()}
_YES_NO = {True: {"en": "Yes", "zh": "是"}, False: {"en": "No", "zh": "否"}}
#: in a (tag, level) table, the column whose values a tag's levels are: sizes read 大型/中型, other levels 高/中/低
TAG_LEVEL_COLUMN = {"size": "size_class"}


def value_label(column, value, language: str = "en"):
    """``value`` of ``column`` as a report shows it in ``language``: tiers, size classes, levels,
    reasons and yes/no are translated; other values are returned as they are."""
    if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):  # numpy's too, without importing it
        return _YES_NO[bool(value)][language]
    if column == "rule" and isinstance(value, str) and value.startswith("exact:"):  # a duplicate-matching rule
        field = label(value.removeprefix("exact:"), language)
        return f"same {field}" if language == "en" else f"{field}相同"
    entry = COLUMN_VALUES.get(column, {}).get(value) if isinstance(value, str) else None
    return entry[language] if entry else value


def word(name, language: str = "en", table: dict | None = None):
    """:func:`label` for use inside a sentence: lower case in English (labels double as headers)."""
    text = label(name, language, table)
    return text.lower() if language == "en" and isinstance(text, str) else text


def label(name, language: str = "en", table: dict | None = None):
    """A table header (or, with ``table=VALUES``, a row label) in ``language``; names without a
    label are returned as they are."""
    entry = (LABELS if table is None else table).get(name) if isinstance(name, str) else None
    return entry[language] if entry else name
