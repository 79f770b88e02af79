"""Matching records: duplicate detection on any table, over values normalized for comparison
(:mod:`custlab.data.normalize`, whose public names are re-exported here).

Part of cleaning (re-exported by :mod:`custlab.data.cleaning`); kept apart because it is generic:
it works on any table and any columns, not only on the customer database.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein
from scipy import sparse
from scipy.sparse import csgraph

from ..report import Result
from ..errors import CleaningError
from .normalize import (NORMALIZERS, branch_parts, company_keys, normalize_company, normalize_credit_code, normalize_email,
                        normalize_phone, normalize_text, normalize_words, phone_parts, without_extension)

log = logging.getLogger(__name__)

__all__ = ["NORMALIZERS", "SIMILARITY", "DuplicateResult", "branch_parts", "company_keys", "find_duplicates", "normalize_company",
           "normalize_credit_code", "normalize_email", "normalize_phone", "normalize_text", "normalize_words", "normalized",
           "phone_parts", "string_similarity", "without_extension"]


# --------------------------------------------------------------------------- normalization


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
class DuplicateResult(Result):
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

    def sentences(self, language: str = "en") -> list[str]:
        from ..i18n import t

        return [t("dq_duplicates", language, pairs=len(self.pairs), groups=int(self.clusters.value_counts().gt(1).sum()))]

    def metrics(self) -> dict:
        return {"duplicate_pairs": int(len(self.pairs)), "duplicate_groups": int(self.clusters.value_counts().gt(1).sum())}


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
