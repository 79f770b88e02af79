"""The canonical tables, declared once: one YAML file per table with its columns and their kinds,
the columns required, the primary key, the columns that may be absent or are derived, the
columns that hold personal data, and whether every source must hold the table.

The shipped tables are in ``custlab/resources/tables/``; an analysis that needs a table of its
own puts its declaration in a ``tables/`` folder beside its code (``analyses/<name>/tables/``).
Sources read these declarations to type and check a table, the cleaning to know its keys,
privacy to know what to mask, the data-quality report to list what a source lacks. Reading them
imports no pandas (the runner's command and the HTML export use them).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: where table declarations are found: the shipped ones, then each analysis's own
TABLE_GLOBS = ("resources/tables/*.yaml", "analyses/*/tables/*.yaml")
KINDS = ("id", "text", "number", "date")


@dataclass(frozen=True)
class Table:
    """One canonical table as its declaration file states it."""

    name: str
    columns: dict[str, str]  # column -> kind (id, text, number, date), in the declared order
    required: tuple[str, ...] = ()
    key: str | None = None
    optional: tuple[str, ...] = ()  # read when present; no analysis needs them, so their absence is not reported
    derived: dict[str, tuple[str, ...]] | None = None  # column -> the columns the cleaning derives it from
    personal: tuple[str, ...] = ()  # columns that hold personal data (masked in leadership reports)
    needed: bool = False  # every source must hold this table
    position: int = 1000
    file: str = ""


def _table(path: Path) -> Table:
    """The declaration in ``path``; a declaration that contradicts itself is a TypeError naming the file."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    columns = spec.get("columns") or {}
    props = {c: (p or {}) for c, p in columns.items()}
    problems = [f"column {c} has kind {p.get('kind')!r} (allowed: {', '.join(KINDS)})"
                for c, p in props.items() if p.get("kind") not in KINDS]
    if spec.get("key") is not None and spec["key"] not in columns:
        problems.append(f"the key {spec['key']!r} is not one of its columns")
    for c, p in props.items():
        problems += [f"column {c} is derived from {s!r}, which is not a column" for s in p.get("derived_from", ()) if s not in columns]
    if problems:
        raise TypeError(f"The table declaration {path} is inconsistent: " + "; ".join(problems) + ".")
    return Table(name=path.stem, columns={c: p["kind"] for c, p in props.items()},
                 required=tuple(c for c, p in props.items() if p.get("required")), key=spec.get("key"),
                 optional=tuple(c for c, p in props.items() if p.get("optional")),
                 derived={c: tuple(p["derived_from"]) for c, p in props.items() if p.get("derived_from")} or None,
                 personal=tuple(c for c, p in props.items() if p.get("personal")), needed=bool(spec.get("needed")),
                 position=int(spec.get("position", 1000)), file=str(path))


@functools.cache
def declared(root: Path = PACKAGE_DIR) -> dict[str, Table]:
    """Every declared table by name, in the order of their ``position``; a name declared twice is a TypeError."""
    found: dict[str, Table] = {}
    for pattern in TABLE_GLOBS:
        for path in sorted(root.glob(pattern)):
            table = _table(path)
            if table.name in found:
                raise TypeError(f"The table {table.name} is declared twice: {found[table.name].file} and {path}.")
            found[table.name] = table
    return dict(sorted(found.items(), key=lambda item: (item[1].position, item[0])))


_TABLES = declared()
#: canonical tables: column -> kind
SCHEMAS: dict[str, dict[str, str]] = {name: t.columns for name, t in _TABLES.items()}
#: the columns each table must have
REQUIRED: dict[str, tuple[str, ...]] = {name: t.required for name, t in _TABLES.items()}
#: columns read when present that no analysis needs, so their absence is not reported
OPTIONAL: dict[str, tuple[str, ...]] = {name: t.optional for name, t in _TABLES.items() if t.optional}
#: columns the cleaning derives from others when the source lacks them (region from province or city)
DERIVED: dict[str, dict[str, tuple[str, ...]]] = {name: t.derived for name, t in _TABLES.items() if t.derived}
PRIMARY_KEYS: dict[str, str] = {name: t.key for name, t in _TABLES.items() if t.key}
#: the tables every source must hold (:meth:`Source.read` refuses an empty one): every analysis starts from them
NEEDED: tuple[str, ...] = tuple(name for name, t in _TABLES.items() if t.needed)
#: the canonical columns that hold personal data, over all tables
PERSONAL: frozenset[str] = frozenset(c for t in _TABLES.values() for c in t.personal)
