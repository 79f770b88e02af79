"""Matching records: normalization for comparison and duplicate detection on any table.

Part of cleaning (re-exported by :mod:`custlab.data.cleaning`); kept apart because it is generic:
it works on any table and any columns, not only on the customer database.
"""
from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein
from scipy import sparse
from scipy.sparse import csgraph

from . import reference
from ..errors import CleaningError

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- normalization
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


#: similarity measures for fuzzy fields: rapidfuzz scorer and the score it gives to identical text.
#: ``ratio`` is the normalized Indel similarity (rapidfuzz's ``fuzz.ratio``), ``levenshtein`` the
#: normalized Levenshtein similarity (1 - distance / longer length), ``jaro_winkler`` Winkler's
#: measure for short strings such as person names, ``token_set`` compares the sets of words, so
#: word order and extra words matter less (product titles, addresses); it keeps word boundaries
#: (:func:`normalize_words`).
SIMILARITY: dict[str, tuple[Callable, float]] = {
    "ratio": (fuzz.ratio, 100.0), "levenshtein": (Levenshtein.normalized_similarity, 1.0),
    "jaro_winkler": (JaroWinkler.normalized_similarity, 1.0), "token_set": (fuzz.token_set_ratio, 100.0),
}


def string_similarity(measure: str, a, b) -> np.ndarray:
    """Similarity (0-1) of the strings ``a[i]`` and ``b[i]`` by one of :data:`SIMILARITY`.

    Examples
    --------
    >>> string_similarity("jaro_winkler", ["martha", "dwayne"], ["marhta", "duane"]).round(3).tolist()
    [0.961, 0.84]
    """
    if measure not in SIMILARITY:
        raise CleaningError(f"Unknown similarity {measure!r}; use one of {', '.join(SIMILARITY)} "
                            "(cleaning.duplicates.similarity).")
    scorer, scale = SIMILARITY[measure]
    return process.cpdist(list(a), list(b), scorer=scorer, workers=-1, dtype=np.float64) / scale


def normalized(df: pd.DataFrame, column: str, normalizers: dict | None = None) -> pd.Series:
    """``df[column]`` normalized for matching by the normalizer named after the column (or text)."""
    if column not in df.columns:
        raise CleaningError(f"Column '{column}' named in the duplicate settings is not in the table "
                            f"(columns: {', '.join(map(str, df.columns))}): fix cleaning.duplicates in params.")
    fn = {**NORMALIZERS, **(normalizers or {})}.get(column, normalize_text)
    out = fn(df[column].astype("string") if df[column].dtype != "string" else df[column])
    out.index = df.index
    return out


# --------------------------------------------------------------------------- duplicates
@dataclass(frozen=True)
class DuplicateResult:
    """Scored record pairs and the entity each record belongs to.

    ``pairs``: left, right (index labels of the input, left first in input order), score (0-1),
    rule (``exact:<column>`` or ``fuzzy``). ``clusters``: an entity id (0, 1, ...) for every row,
    records linked directly or through others share one. ``placeholders``: exact-key values shared
    by more rows than ``max_key_group`` (a switchboard phone, a dummy e-mail), not used as keys.
    ``kept_apart``: matched pairs left unlinked because their entity would otherwise hold two
    different values of a ``distinct`` column (left, right, score, rule, reason ``distinct:<column>``).
    """

    pairs: pd.DataFrame
    clusters: pd.Series
    placeholders: pd.DataFrame
    kept_apart: pd.DataFrame = None

    @property
    def duplicate_records(self) -> int:
        """Records that are not the first of their entity (what a merge removes)."""
        return int(len(self.clusters) - self.clusters.nunique())

    def summary(self) -> pd.DataFrame:
        """Pairs per rule."""
        out = self.pairs.groupby("rule").size().rename("pairs").to_frame()
        out.index.name = "rule"
        return out


def _group_bounds(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions sorted by group code, with start/end of every group of two or more."""
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    big = (ends - starts) >= 2
    return order, starts[big], ends[big]


def _block_key(keys: dict[str, pd.Series], spec: str) -> pd.Series:
    """The blocking key of one pass: columns joined by '+', "col:N" = first N characters."""
    parts = []
    for part in spec.split("+"):
        column, _, width = part.strip().partition(":")
        s = keys[column]
        parts.append(s.str[: int(width)] if width else s)
    key = parts[0]
    for p in parts[1:]:
        key = key + "\x1f" + p
    return key


def _fuzzy_candidates(values: np.ndarray, block: pd.Series, threshold: float, chunk: int = 2000,
                      measure: str = "ratio") -> np.ndarray:
    """Pairs of positions in one block whose first fuzzy column reaches ``threshold``: rows of
    (i, j, similarity) with i < j."""
    scorer, scale = SIMILARITY[measure]
    codes = pd.factorize(block, use_na_sentinel=True)[0]
    valid = codes >= 0
    pos_all = np.flatnonzero(valid)
    order, starts, ends = _group_bounds(codes[valid])
    whole = scale == 100  # 0-100 scorers fit in bytes, so a chunk of a big block stays small
    cutoff = int(np.ceil(threshold * 100)) if whole else threshold
    found = []
    for s, e in zip(starts, ends):
        pos = pos_all[order[s:e]]
        if len(pos) > 10_000:
            log.warning("blocking key %r holds %d records; a finer block key would be faster", block.iloc[pos[0]], len(pos))
        names = values[pos].tolist()
        for c0 in range(0, len(pos), chunk):
            scores = process.cdist(names[c0:c0 + chunk], names, scorer=scorer, dtype=np.uint8 if whole else np.float32,
                                   score_cutoff=cutoff, workers=-1)
            i, j = np.nonzero(scores)
            i = i + c0
            keep = i < j
            found.append(np.c_[pos[i[keep]], pos[j[keep]], scores[i[keep] - c0, j[keep]] / scale])
    return np.concatenate(found) if found else np.empty((0, 3))


def _pair_count(codes: np.ndarray) -> tuple[int, int]:
    """Pairs within the groups of ``codes`` (-1 = no group), and the size of the largest group."""
    sizes = np.bincount(codes[codes >= 0]).astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum()), int(sizes.max(initial=0))


def _block_pairs(codes: np.ndarray, chunk: int = 2_000_000):
    """Every pair of positions sharing a group of ``codes`` (-1 = no group), as (i, j) arrays of
    about ``chunk`` pairs at a time."""
    valid = np.flatnonzero(codes >= 0)
    order, starts, ends = _group_bounds(codes[valid])
    sorted_pos = valid[order]
    steps = np.zeros(len(sorted_pos) + 1, dtype=np.int64)  # cumulated: the end of each position's group
    np.add.at(steps, starts, ends)
    np.add.at(steps, ends, -ends)
    end_of = np.cumsum(steps)[:-1]
    partners = np.maximum(end_of - np.arange(len(sorted_pos)) - 1, 0)  # later members of the same group
    done = np.cumsum(partners)
    cuts = np.r_[0, np.searchsorted(done, np.arange(chunk, done[-1] if len(done) else 0, chunk)) + 1, len(partners)]
    for a, b in zip(cuts[:-1], cuts[1:]):
        n = partners[a:b]
        if not n.sum():
            continue
        left = np.repeat(np.arange(a, b), n)
        right = left + 1 + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        yield sorted_pos[left], sorted_pos[right]


def _values_at(key: pd.Series, positions) -> np.ndarray:
    """Normalized values at ``positions`` as a plain array, missing as ''."""
    return key.fillna("").to_numpy(dtype=object)[np.asarray(positions, dtype=np.int64)]


def _compare(values: dict[str, np.ndarray], fuzzy: dict[str, float], measures: dict[str, str],
             left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pair: how many fuzzy fields were compared (present on both), how many reached
    their threshold, and the sum of their similarities. ``values``: each field's normalized
    text as an array, missing as ''."""
    compared, agreed, total = (np.zeros(len(left)) for _ in range(3))
    for column, threshold in fuzzy.items():
        a, b = values[column][left], values[column][right]
        both = (a != "") & (b != "")
        sim = np.zeros(len(left))
        if both.any():
            sim[both] = string_similarity(measures.get(column, "ratio"), a[both], b[both])
        compared += both
        agreed += both & (sim >= threshold - 1e-9)  # (1 - 3/20 in floating point may fall a hair below 0.85)
        total += sim
    return compared, agreed, total


def _fuzzy_pairs(keys: dict[str, pd.Series], fields: dict[str, pd.Series], fuzzy: dict[str, float], block: list[str],
                 measures: dict[str, str], min_agree: int | None, max_pairs: int) -> pd.DataFrame:
    """Candidate pairs from the blocking passes (on ``keys``), scored on the fuzzy ``fields``
    (see find_duplicates)."""
    first = next(iter(fuzzy))
    values = {c: fields[c].fillna("").to_numpy(dtype=object) for c in fuzzy}
    found = []
    if min_agree is None:  # every compared field must agree, the first one always: search on it
        cand = np.concatenate([_fuzzy_candidates(values[first], _block_key(keys, spec).where(fields[first].notna()), fuzzy[first],
                                                 measure=measures.get(first, "ratio")) for spec in block])
        left, right = cand[:, 0].astype(np.int64), cand[:, 1].astype(np.int64)
        compared, agreed, total = _compare(values, {k: v for k, v in fuzzy.items() if k != first}, measures, left, right)
        ok = agreed == compared
        found.append(pd.DataFrame({"left": left, "right": right, "score": (total + cand[:, 2]) / (compared + 1)})[ok])
    else:  # at least min_agree fields agree: every pair sharing a block is a candidate
        codes = {spec: pd.factorize(_block_key(keys, spec), use_na_sentinel=True)[0] for spec in block}
        counts = {spec: _pair_count(c) for spec, c in codes.items()}
        pairs = sum(n for n, _ in counts.values())
        if pairs > max_pairs:
            spec = max(counts, key=lambda k: counts[k][0])
            raise CleaningError(
                f"The blocking keys give {pairs:,} candidate pairs, more than max_pairs "
                f"({max_pairs:,}); block {spec!r} alone gives {counts[spec][0]:,} (its largest group has "
                f"{counts[spec][1]:,} records). Use a finer key (e.g. '{spec}+another_column' or a longer "
                f"prefix) or raise max_pairs in cleaning.duplicates.")
        for spec in block:
            for left, right in _block_pairs(codes[spec]):
                compared, agreed, total = _compare(values, fuzzy, measures, left, right)
                ok = agreed >= min_agree
                found.append(pd.DataFrame({"left": left[ok], "right": right[ok], "score": total[ok] / compared[ok]}))
    return pd.concat(found, ignore_index=True).drop_duplicates(["left", "right"]).assign(rule="fuzzy")


def find_duplicates(df: pd.DataFrame, exact: list[str] = (), fuzzy: dict[str, float] | None = None,
                    block: list[str] = (), distinct: list[str] = (), max_key_group: int = 20,
                    normalizers: dict[str, Callable] | None = None, similarity: dict[str, str] | None = None,
                    min_agree: int | None = None, max_pairs: int = 50_000_000) -> DuplicateResult:
    """Find records of ``df`` that describe the same entity.

    Works on any table: every column is normalized for matching (names without legal suffixes,
    phones, e-mails, credit codes by their own rules, other text by :func:`normalize_text`).

    Parameters
    ----------
    df : DataFrame
        The records; labels of its index identify them in the result.
    exact : list of str
        Key columns: two records sharing a normalized value are one entity (score 1).
    fuzzy : dict of column -> threshold
        Similarity fields (0-1, see ``similarity``); a field agrees when its similarity reaches
        its threshold (1.0 = equal after normalization). Without ``min_agree``, a pair matches
        when every fuzzy field present on both records agrees and the first one was compared.
        A pair's score is the mean similarity of the fields present on both records.
    block : list of str
        Blocking passes for the fuzzy comparison: only records sharing a key are compared.
        ``"city+contact"`` joins columns, ``"name:4"`` takes the first four characters.
    distinct : list of str
        Columns whose two different non-missing values prove two different entities: a pair
        with two different valid credit codes is never a match, and no entity, however its
        records are linked, holds two of them (see ``kept_apart``).
    max_key_group : int
        An exact value shared by more records than this is treated as a placeholder, not a key.
    similarity : dict of column -> measure
        How a fuzzy field is compared: ``ratio`` (the default), ``levenshtein``,
        ``jaro_winkler`` or ``token_set`` (see :data:`SIMILARITY`).
    min_agree : int, optional
        Match when at least this many fuzzy fields agree (a field missing on either record does
        not agree), the rule of deterministic record linkage (recordlinkage's "sum of the
        comparison vector"): one mistyped or missing field no longer hides a duplicate. Every
        pair sharing a blocking key is compared.
    max_pairs : int
        With ``min_agree``: the most candidate pairs the blocking keys may give; more is an error
        that names the key, rather than hours of comparisons.

    Returns
    -------
    DuplicateResult

    Examples
    --------
    >>> df = pd.DataFrame({"name": ["华信科技有限公司", "华信科技股份有限公司", "宏达贸易有限公司"],
    ...                    "phone": ["138 0013 8000", None, "13900139000"]})
    >>> find_duplicates(df, fuzzy={"name": 0.9}, block=["name:2"]).clusters.tolist()
    [0, 0, 1]
    """
    fuzzy, measures = dict(fuzzy or {}), dict(similarity or {})
    if fuzzy and not block:
        raise CleaningError("Fuzzy matching needs at least one blocking key (block=[...]); comparing every "
                            "pair of records does not scale. Add e.g. block: ['name:4'] to the duplicate settings.")
    if min_agree is not None and not 1 <= min_agree <= len(fuzzy):
        raise CleaningError(f"min_agree is {min_agree} but there are {len(fuzzy)} fuzzy fields "
                            f"({', '.join(fuzzy) or 'none'}): set cleaning.duplicates.min_agree between 1 and {len(fuzzy)}.")
    for column, measure in measures.items():
        if measure not in SIMILARITY or column not in fuzzy:
            raise CleaningError(f"similarity {column}: {measure} in cleaning.duplicates: the column must be a fuzzy "
                                f"field ({', '.join(fuzzy) or 'none'}) and the measure one of {', '.join(SIMILARITY)}.")
    columns = set(exact) | set(fuzzy) | set(distinct) | {p.strip().partition(":")[0] for b in block for p in b.split("+")}
    keys = {c: normalized(df, c, normalizers) for c in columns}
    words = {c: normalized(df, c, {c: normalize_words}) for c, m in measures.items()
             if m == "token_set" and c not in (normalizers or {})}
    n = len(df)
    found, placeholders = [], []
    for column in exact:
        key = keys[column]
        codes, uniques = pd.factorize(key, use_na_sentinel=True)
        sizes = np.bincount(codes[codes >= 0], minlength=len(uniques))
        too_many = sizes > max_key_group
        if too_many.any():
            placeholders.append(pd.DataFrame({"column": column, "value": uniques[too_many], "records": sizes[too_many]}))
        if len(uniques):  # (a column with no value at all has no key to share)
            codes = np.where((codes >= 0) & ~too_many[np.maximum(codes, 0)], codes, -1)
        valid = np.flatnonzero(codes >= 0)
        order, starts, ends = _group_bounds(codes[valid])
        if len(starts):
            lengths = ends - starts
            first = np.repeat(valid[order[starts]], lengths - 1)
            others = valid[order[np.concatenate([np.arange(s + 1, e) for s, e in zip(starts, ends)])]]
            found.append(pd.DataFrame({"left": first, "right": others, "score": 1.0, "rule": f"exact:{column}"}))
    if fuzzy:
        found.append(_fuzzy_pairs(keys, {**keys, **words}, fuzzy, list(block), measures, min_agree, max_pairs))
    pairs = pd.concat(found, ignore_index=True) if found else pd.DataFrame({"left": [], "right": [], "score": [], "rule": []})
    pairs[["left", "right"]] = np.sort(pairs[["left", "right"]].to_numpy(dtype=np.int64), axis=1)
    for column in distinct:
        a, b = _values_at(keys[column], pairs["left"]), _values_at(keys[column], pairs["right"])
        differ = (a != "") & (b != "") & (a != b)
        pairs = pairs[~differ]
    pairs = (pairs.sort_values("score", ascending=False, kind="stable").drop_duplicates(["left", "right"])
             .sort_values(["left", "right"]).reset_index(drop=True))
    labels, apart = _entities(pairs, n, {c: keys[c] for c in distinct})
    entity = pd.Series(pd.factorize(labels)[0], index=df.index, name="entity")
    out = pairs.drop(index=apart.index).reset_index(drop=True)
    out = out.assign(left=df.index[out["left"]], right=df.index[out["right"]])
    apart = apart.assign(left=df.index[apart["left"]], right=df.index[apart["right"]]).reset_index(drop=True)
    holders = pd.concat(placeholders, ignore_index=True) if placeholders else pd.DataFrame({"column": [], "value": [], "records": []})
    return DuplicateResult(out, entity, holders, apart)


def _entities(pairs: pd.DataFrame, n: int, distinct: dict[str, pd.Series]) -> tuple[np.ndarray, pd.DataFrame]:
    """Entity labels of ``n`` records linked by ``pairs`` (positions), such that no entity holds two
    different values of a ``distinct`` column; and the pairs left unlinked for that reason.

    Records linked directly or through others form one entity, except where a chain would join two
    values that prove two entities (A with code X ~ B without a code ~ C with code Y). There the
    links are taken strongest first (Kruskal's order) and a link is left out when the two groups it
    would join hold different values: the entity splits at its weakest links. Only the components
    that hold such a conflict are rebuilt, so the usual case costs one connected-components pass.
    """
    graph = sparse.coo_matrix((np.ones(len(pairs)), (pairs["left"], pairs["right"])), shape=(n, n))
    _, labels = csgraph.connected_components(graph, directed=False)
    apart = pairs.iloc[:0].assign(reason=pd.Series(dtype="string"))
    if not distinct or not len(pairs):
        return labels, apart
    values = {c: key.fillna("").to_numpy(dtype=object) for c, key in distinct.items()}
    conflict = np.zeros(labels.max() + 1, dtype=bool)
    for v in values.values():
        present = v != ""
        per = pd.Series(v[present]).groupby(labels[present]).nunique()
        conflict[per.index[per > 1].to_numpy()] = True
    if not conflict.any():
        return labels, apart
    hit = pairs[conflict[labels[pairs["left"].to_numpy()]]].sort_values("score", ascending=False, kind="stable")
    parent: dict[int, int] = {}
    held: dict[int, dict[str, str]] = {}

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            parent[i] = parent.get(parent[i], parent[i])
            i = parent[i]
        return i

    def held_by(i: int) -> dict[str, str]:
        return held.get(i) if i in held else {c: v[i] for c, v in values.items() if v[i] != ""}

    left_out, why = [], []
    for idx, a, b in zip(hit.index, hit["left"].to_numpy(), hit["right"].to_numpy()):
        ra, rb = root(int(a)), root(int(b))
        if ra == rb:
            continue
        ha, hb = held_by(ra), held_by(rb)
        clash = [c for c in ha if c in hb and ha[c] != hb[c]]
        if clash:
            left_out.append(idx)
            why.append("distinct:" + ",".join(clash))
            continue
        parent[rb] = ra
        held[ra] = {**hb, **ha}
    nodes = np.unique(hit[["left", "right"]].to_numpy())
    fresh = labels.max() + 1
    roots = np.array([root(int(i)) for i in nodes])
    labels = labels.copy()
    labels[nodes] = fresh + pd.factorize(roots)[0]
    apart = pairs.loc[left_out].assign(reason=pd.Series(why, index=left_out, dtype="string"))
    return labels, apart
