"""Personal data: which columns hold it, masking for leadership reports, pseudonymization.

Which canonical columns hold personal data is declared with the tables (:mod:`custlab.data.tables`);
the few more that the cleaning derives or exports often carry are added here. Leadership reports get two
layers of protection: tables shown through :func:`custlab.report.show` carry a masked copy,
and at export time :func:`scrub_text` masks anything that still looks like a phone number,
an e-mail address or a unified social credit code.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .tables import PERSONAL

if TYPE_CHECKING:  # scrub_text, used by the runner's HTML export, needs no pandas
    import pandas as pd

#: columns that hold personal data (a person's name, phone, email, credit code, address): those the
#: table declarations mark personal, and the ones the cleaning derives or exports often carry
PERSONAL_COLUMNS: frozenset[str] = PERSONAL | frozenset({
    "contact_name", "phone_extension", "mobile", "address", "id_number",
})

_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[-\s]?)?(1[3-9]\d)[-\s]?(\d{4})[-\s]?(\d{4})(?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<![0-9A-Za-z])(0\d{2,3})[-\s](\d{3,4})(\d{4})(?![0-9A-Za-z])")
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
_CREDIT_CODE = re.compile(r"(?<![0-9A-Za-z])([0-9A-HJ-NPQRTUWXY]{4})[0-9A-HJ-NPQRTUWXY]{12}([0-9A-HJ-NPQRTUWXY]{2})(?![0-9A-Za-z])")


def personal_columns(columns: Iterable[str], extra: Iterable[str] = ()) -> list[str]:
    """Return the columns among ``columns`` that hold personal data."""
    wanted = PERSONAL_COLUMNS | set(extra)
    return [c for c in columns if str(c) in wanted]


def mask_value(column: str, value) -> object:
    """Mask one value of a personal-data column, keeping just enough to recognise it."""
    import pandas as pd

    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return value
    text = str(value)
    if column in ("phone", "mobile"):
        digits = re.sub(r"\D", "", text)
        return (digits[:3] + "****" + digits[-4:]) if len(digits) >= 7 else "****"
    if column == "email":
        user, _, domain = text.partition("@")
        return f"{user[:1]}***@{domain}" if domain else "***"
    if column in ("credit_code", "id_number"):
        return text[:4] + "*" * max(len(text) - 6, 0) + text[-2:] if len(text) > 6 else "***"
    if column in ("contact", "contact_name"):
        return text[:1] + "*" * max(len(text) - 1, 1)
    if column == "address":
        return text[:6] + "***"
    return "***"


def mask(df: pd.DataFrame, extra: Iterable[str] = ()) -> pd.DataFrame:
    """Return a copy of ``df`` with its personal-data columns masked (index included)."""
    out = df.copy()
    for col in personal_columns(out.columns, extra):
        out[col] = out[col].map(lambda v, c=str(col): mask_value(c, v)).astype("object")
    if out.index.name and out.index.name in PERSONAL_COLUMNS | set(extra):
        out.index = out.index.map(lambda v: mask_value(out.index.name, v))
    return out


def pseudonymize(values: pd.Series, salt: str = "custlab") -> pd.Series:
    """Replace identifiers with stable pseudonyms (salted SHA-256, 12 hex characters)."""
    import pandas as pd

    return values.map(lambda v: v if pd.isna(v) else
                      "P" + hashlib.sha256(f"{salt}:{v}".encode()).hexdigest()[:12])


def scrub_text(text: str) -> str:
    """Mask phone numbers, e-mail addresses and credit codes found anywhere in ``text``."""
    text = _CREDIT_CODE.sub(lambda m: m.group(1) + "*" * 12 + m.group(2), text)
    text = _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    text = _LANDLINE.sub(lambda m: m.group(1) + "-****" + m.group(3), text)
    return _EMAIL.sub(lambda m: m.group(1) + "***@" + m.group(2), text)
