"""Normalizing values for comparison: company names (legal forms, places, branches), words, phone
numbers (with extensions; libphonenumber's patterns), e-mails and unified social credit codes.

Generic: it works on any column of any table. Duplicate detection (:mod:`custlab.data.matching`)
compares what these functions return.
"""
from __future__ import annotations

import functools
import re
from typing import Callable

import pandas as pd

from . import reference


_LATIN_SUFFIX = re.compile(r"(?:[\s,.]+(?:co[\s.,]*ltd|ltd|inc|corp|corporation|limited|company|co|llc|plc|gmbh)\.?)+$")


_CJK_SUFFIX = re.compile("(?:" + "|".join(sorted(("股份有限公司", "有限责任公司", "有限公司", "集团", "公司", "控股"),
                                                   key=len, reverse=True)) + ")+$")


_NOT_WORD = re.compile(r"[\W_]+")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _text(values) -> pd.Series:
    return pd.Series(values, dtype="string").str.normalize("NFKC").str.strip()


def _blank_to_na(s: pd.Series) -> pd.Series:
    return s.mask(s == "")


def normalize_text(values) -> pd.Series:
    """Text for matching: NFKC (full-width to half-width), lower case, no whitespace or punctuation.

    Examples
    --------
    >>> normalize_text(["  Ａｂｃ－12　", None]).tolist()
    ['abc12', <NA>]
    """
    return _blank_to_na(_text(values).str.lower().str.replace(_NOT_WORD, "", regex=True))


_PAREN = re.compile(r"[(（]\s*([^()（）]{1,20}?)\s*[)）]")


_ANY_PAREN = re.compile(r"[(（][^()（）]{1,20}[)）]")


_BRANCH_MARK = re.compile(r"(?:分公司|办事处|代表处|分支机构|分厂|分店|营业部|分行|支行|分部)[)）]?$")


_LEGAL_FORM_END = re.compile(r"^(.+(?:有限责任公司|股份有限公司|有限公司|公司|集团))(.*)$")


@functools.lru_cache(maxsize=1)
def _place_prefixes() -> dict[str, str]:
    """Place names that may open a registered company name (行政区划 + 字号 + 行业 + 组织形式), each
    with the stem of its prefecture (or province): every province and prefecture by its full name and its stem (浙江省, 浙江; 杭州市,
    杭州), county-level cities likewise (余姚市, 余姚), and counties and districts by their full name
    only (萧山区, 桐庐县): a district's stem is too often a word (和平, 新华, 长安)."""
    table = reference.places()

    def stem(name: str) -> str:
        short = reference.PLACE_SUFFIX.sub("", name)
        return short if len(short) >= 2 else name

    out: dict[str, str] = {}
    for name, level, prefecture in zip(table["name"], table["level"], table["prefecture"].fillna(table["name"])):
        area = stem(prefecture)  # a county counts as its prefecture: 萧山区 and 杭州 are one place
        out.setdefault(name.lower(), area)
        if level != "county" or name.endswith("市"):
            out.setdefault(stem(name).lower(), area)
    out.setdefault("内蒙", "内蒙古")
    return out


@functools.lru_cache(maxsize=1)
def _place_lookup() -> tuple[dict[str, str], pd.Series, pd.Series]:
    """:func:`_place_prefixes` and two Series to look names up in (by whole prefix, by first two
    characters): ``Series.map`` reuses their hash tables, where ``isin`` rebuilds one per call."""
    prefixes = _place_prefixes()
    return prefixes, pd.Series(prefixes), pd.Series(True, index=sorted({p[:2] for p in prefixes}))


def _strip_places(s: pd.Series, keep: int = 2) -> tuple[pd.Series, pd.Series]:
    """``s`` without the place names (:func:`_place_prefixes`) at its start, longest first and up to
    three deep (浙江杭州萧山区华信 -> 华信), leaving at least ``keep`` characters; and the prefecture
    (or province) of the last place stripped (杭州), missing where none was."""
    prefixes, lookup, starts = _place_lookup()
    lengths = sorted({len(p) for p in prefixes}, reverse=True)
    place = pd.Series(pd.NA, index=s.index, dtype="string")
    for _ in range(3):
        todo = s[s.str[:2].map(starts).notna().to_numpy(dtype=bool)]
        if todo.empty:
            break
        size, cut = todo.str.len(), pd.Series(0, index=todo.index)
        for n in lengths:
            hit = (cut == 0) & (size - n >= keep) & todo.str[:n].map(lookup).notna().to_numpy(dtype=bool)
            cut = cut.mask(hit, n)
        cut = cut[cut > 0]
        if cut.empty:
            break
        texts = todo.loc[cut.index]
        s, place = s.copy(), place.copy()
        s.loc[cut.index] = [text[n:] for text, n in zip(texts, cut)]
        place.loc[cut.index] = [prefixes[text[:n]] for text, n in zip(texts, cut)]
    return s, place


def _bracketed_place(text: str) -> tuple[str, str | None]:
    """A bracketed place or 中国 taken out of a name (华信科技（杭州）有限公司 -> 华信科技有限公司, 杭州)."""
    prefixes, found = _place_prefixes(), []

    def place(match: re.Match) -> str:
        inner = match.group(1).strip().lower()
        if inner in ("中国", "china"):
            return ""
        if inner in prefixes:
            found.append(prefixes[inner])
            return ""
        return match.group(0)

    return _PAREN.sub(place, text), (found[-1] if found else None)


def branch_parts(values) -> pd.DataFrame:
    """Branch offices in company names: ``head`` (the head office's name as written) and
    ``branch`` (杭州分公司, 上海办事处, ...) for names of branches (分公司, 办事处, 代表处, 分厂, 分店,
    营业部, 分行, 支行, 分部); both missing for other names. The head is the name up to its legal
    form (华信科技有限公司 | 杭州分公司), else the name before a place (中国银行 | 杭州分行). A branch
    is a customer of its own: it is linked to its head office, never merged into it.

    Examples
    --------
    >>> branch_parts(["华信科技有限公司杭州分公司", "华信科技（上海办事处）", "中国银行杭州分行", "华信科技有限公司"]).to_dict("list")
    {'head': ['华信科技有限公司', '华信科技', '中国银行', None], 'branch': ['杭州分公司', '上海办事处', '杭州分行', None]}
    """
    text = _text(values)
    out = pd.DataFrame({"head": pd.Series(pd.NA, index=text.index, dtype="string"),
                        "branch": pd.Series(pd.NA, index=text.index, dtype="string")})
    prefixes = _place_prefixes()
    for i, name in text[text.str.contains(_BRANCH_MARK).fillna(False)].items():
        head, branch = _split_branch(name, prefixes)
        if len(head) >= 2:
            out.loc[i, ["head", "branch"]] = [head, branch]
    return out


def _split_branch(name: str, prefixes: dict[str, str]) -> tuple[str, str]:
    bracket = re.search(r"[(（]([^()（）]*)[)）]$", name)
    if bracket and _BRANCH_MARK.search(bracket.group(1)):
        return name[:bracket.start()].strip(), bracket.group(1).strip()
    mark = _BRANCH_MARK.search(name)
    rest, marker = name[:mark.start()], name[mark.start():]
    legal = _LEGAL_FORM_END.match(rest)
    if legal:
        return legal.group(1), legal.group(2) + marker
    for n in range(min(len(rest) - 2, 12), 1, -1):  # the longest place at the end: 中国银行 | 杭州
        if rest[-n:].lower() in prefixes:
            return rest[:-n], rest[-n:] + marker
    return rest, marker


def company_keys(values) -> pd.DataFrame:
    """``name``: :func:`normalize_company`; ``place``: the stem of the place the name opens with or
    holds in brackets, as its prefecture or province (杭州 for 杭州市华信科技有限公司, 萧山区华信 and
    华信科技（杭州）有限公司), missing when it names none. Two names with two different places are two companies (杭州银行, 上海银行), so the
    duplicate finder keeps them apart (``distinct``); a name without a place matches either."""
    s = _text(values).str.lower()
    parts = branch_parts(s)
    branch = parts["branch"].notna()
    if branch.any():  # a branch: its head office's key and the branch (华信科技 + 杭州分公司)
        s = s.mask(branch, parts["head"])
    bracket = pd.Series(pd.NA, index=s.index, dtype="string")
    marked = s.str.contains(_ANY_PAREN).fillna(False)
    if marked.any():
        s = s.copy()
        split = [_bracketed_place(text) for text in s[marked]]
        s[marked] = [text for text, _ in split]
        bracket[marked] = [place for _, place in split]
    s = s.str.replace(_LATIN_SUFFIX, "", regex=True).str.replace(_NOT_WORD, "", regex=True)
    s, place = _strip_places(s.str.replace(_CJK_SUFFIX, "", regex=True))
    s = _blank_to_na(s.mask(s.str.fullmatch(r"\d+").fillna(False)))
    if branch.any():
        s = s.mask(branch, s + parts["branch"].str.replace(_NOT_WORD, "", regex=True))
    return pd.DataFrame({"name": s, "place": place.fillna(bracket).where(s.notna())})


def normalize_company(values) -> pd.Series:
    """Company names for matching: :func:`normalize_text` without legal forms and place names.

    有限公司, 有限责任公司, 股份有限公司, (集团), 集团, （中国）, Co., Ltd., Inc. and the like are dropped,
    and so are the province, city and county names that open a registered name and a place in
    brackets (浙江省杭州市华信科技有限公司, 华信科技（杭州）有限公司 and 华信科技 are one key; the place
    itself is in :func:`company_keys`). A branch keeps its branch part (华信科技杭州分公司 is not
    华信科技; see :func:`branch_parts`). A name of digits only is an id or code standing in for a
    name (a customers table taken from a transaction log): it is missing here, since ids
    1000000001 and 1000000002 are as alike as text gets and nothing alike as companies.

    Examples
    --------
    >>> normalize_company(["深圳市 华信科技（中国）有限公司", "华信科技(深圳)有限公司", "Acme Trading Co., Ltd.", "1000000001"]).tolist()
    ['华信科技', '华信科技', 'acmetrading', <NA>]
    """
    return company_keys(values)["name"]


def normalize_words(values) -> pd.Series:
    """Text for word-based comparison: NFKC, lower case, punctuation and runs of spaces as one space.

    Examples
    --------
    >>> normalize_words(["  Acme,  Trading-Co. ", ""]).tolist()
    ['acme trading co', <NA>]
    """
    return _blank_to_na(_text(values).str.lower().str.replace(_NOT_WORD, " ", regex=True).str.strip())


_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)


_TRAILING_EXTENSION = re.compile(r"^(\D*0\d{2,3}\D+\d{7,8})\D+(\d{1,5})$")  # 021-12345678-8001


def _mobile_pattern() -> re.Pattern:
    from phonenumbers import PhoneMetadata

    return re.compile(f"(?:{PhoneMetadata.metadata_for_region('CN').mobile.national_number_pattern})")


def phone_parts(values) -> pd.DataFrame:
    """Phones parsed by the ``phonenumbers`` library (Google's libphonenumber metadata for China):
    ``phone`` as one 11-digit mobile number, ``0AREA-NUMBER`` for a landline (area codes of two or
    three digits after the 0, as the metadata says) or the digits of a 400/800 service number, and
    ``extension`` (0575-88880000转801, ext. 12, 分机 3, 021-12345678-8001). +86 and 0086 are read;
    what is not a valid Chinese number is missing (its extension is still given, see
    :func:`without_extension`).

    Plain 11-digit mobiles, most of a CRM's phones, are checked against the metadata's mobile
    pattern in one vectorized pass; only the rest go through ``phonenumbers.parse`` (about 50 us a
    number), once per distinct value.

    Examples
    --------
    >>> phone_parts(["0575-88880000转801", "+86 138 0013 8000", "400-820-8820", "12345"]).values.tolist()
    [['0575-88880000', '801'], ['13800138000', <NA>], ['4008208820', <NA>], [<NA>, <NA>]]
    """
    import phonenumbers

    text = _text(values)
    digits = text.str.replace(r"^\+?(?:00)?86(?=1\d{10}$)|\D", "", regex=True)
    plain = text.str.fullmatch(r"[+\d\s\-()]*").fillna(False) & digits.str.fullmatch(r"(?:(?:00)?86)?1\d{10}").fillna(False)
    mobile_digits = digits.str[-11:]
    fast = plain & mobile_digits.str.fullmatch(_mobile_pattern()).fillna(False)
    phone = mobile_digits.where(fast).astype("string")
    extension = pd.Series(pd.NA, index=text.index, dtype="string")

    def parse(raw: str) -> tuple[str | None, str | None]:
        ext = None
        if (m := _EXTENSION.search(raw)) or (m := _TRAILING_EXTENSION.match(raw)):
            raw, ext = (raw[:m.start()], m.group(1)) if m.re is _EXTENSION else (m.group(1), m.group(2))
        try:
            number = phonenumbers.parse(raw, "CN")
        except phonenumbers.NumberParseException:
            return None, ext
        if number.country_code != 86 or not phonenumbers.is_valid_number(number):
            return None, ext  # the extension is split off a number the metadata does not know, too
        national = phonenumbers.national_significant_number(number)
        ext = ext or number.extension or None
        area = phonenumbers.length_of_geographical_area_code(number)
        if area:
            return f"0{national[:area]}-{national[area:]}", ext
        return national, ext

    rest = text[(~fast & text.fillna("").ne("")).to_numpy(dtype=bool)]
    if len(rest):
        parsed = {v: parse(v) for v in rest.unique()}
        phone[rest.index] = rest.map(lambda v: parsed[v][0]).astype("string")
        extension[rest.index] = rest.map(lambda v: parsed[v][1]).astype("string")
    return pd.DataFrame({"phone": phone, "extension": extension}).astype("string")


def without_extension(values) -> pd.Series:
    """Phones as written without their extension (0575-88880000转801 -> 0575-88880000): what stays of
    a number :func:`phone_parts` does not recognize once its extension has its own column.

    Examples
    --------
    >>> without_extension(["17435859237转650", "021-12345678-8001", "电话待定"]).tolist()
    ['17435859237', '021-12345678', '电话待定']
    """
    text = _text(values)
    return text.str.replace(_EXTENSION, "", regex=True).str.replace(_TRAILING_EXTENSION, r"\1", regex=True)


def normalize_phone(values) -> pd.Series:
    """Phones as one 11-digit mobile number, ``0AREA-NUMBER`` or a 400/800 service number, without
    the extension (:func:`phone_parts`); anything else is missing.

    Examples
    --------
    >>> normalize_phone(["+86 138 0013 8000", "(010) 6552 9988", "0755-8888 1234", "12345"]).tolist()
    ['13800138000', '010-65529988', '0755-88881234', <NA>]
    """
    return phone_parts(values)["phone"]


def normalize_email(values) -> pd.Series:
    """E-mail addresses lower-cased; anything that is not an address is missing."""
    s = _text(values).str.lower().str.replace(r"\s", "", regex=True)
    return s.where(s.str.match(_EMAIL).fillna(False)).astype("string")


def normalize_credit_code(values) -> pd.Series:
    """Unified social credit codes upper-cased; a code that fails its check character is missing,
    so it is never used as a matching key (count them with :func:`credit_code_check`)."""
    s = _text(values).str.upper().str.replace(r"\s", "", regex=True)
    ok = s.map(reference.is_valid_credit_code, na_action="ignore").astype("boolean").fillna(False)
    return s.where(ok).astype("string")


NORMALIZERS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "name": normalize_company, "company": normalize_company, "phone": normalize_phone, "mobile": normalize_phone,
    "email": normalize_email, "credit_code": normalize_credit_code,
}
