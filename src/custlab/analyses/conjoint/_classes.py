"""Preference classes: respondents grouped by their individual part-worths (k-means, k by the
best mean silhouette), as a function and as a scikit-learn estimator.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from ...errors import AnalysisError
from ...i18n import t
from ...report import Result
from ._conjoint import importance_of

if TYPE_CHECKING:
    from ._conjoint import RatingConjoint


@dataclass(frozen=True)
class PreferenceClasses(Result):
    """Respondents grouped by their individual part-worths (k-means, on the part-worths' own scale).

    ``labels``: class per respondent (P1 is the largest); ``part_worths``: (attribute, level) x
    class means; ``importance``: attribute x class; ``silhouette``: mean silhouette per k tried.
    """

    labels: pd.Series
    part_worths: pd.DataFrame
    importance: pd.DataFrame
    silhouette: pd.Series
    k: int

    @property
    def sizes(self) -> pd.Series:
        return self.labels.value_counts().reindex(self.part_worths.columns).rename("respondents")

    def summary(self) -> pd.DataFrame:
        """Attribute importance per class, with each class's size."""
        return self.importance.T.join(self.sizes).rename_axis("preference_class")

    def sentences(self, language: str = "en") -> list[str]:
        return [classes_sentence(self, {}, language)]

    def metrics(self) -> dict:
        return {"preference_classes": self.k}


def preference_classes(rating: RatingConjoint, k: int | None = None, k_range: tuple[int, int] = (2, 6),
                       random_state: int = 0) -> PreferenceClasses:
    """Group respondents whose part-worths are alike; k by the best mean silhouette unless set."""
    x = rating.individual.to_numpy()
    candidates = [k] if k else list(range(k_range[0], min(k_range[1], len(x) - 1) + 1))
    if not candidates or len(x) < 3 * max(candidates):
        raise AnalysisError(f"{len(x)} respondents are too few for {max(candidates or [k or 0])} preference classes: "
                            f"lower conjoint.classes or conjoint.class_range.")
    fits = {kk: KMeans(n_clusters=kk, n_init=10, random_state=random_state).fit_predict(x) for kk in candidates}
    sil = pd.Series({kk: silhouette_score(x, lab) for kk, lab in fits.items()}, name="silhouette").rename_axis("k")
    best = k or int(sil.idxmax())
    raw = pd.Series(fits[best], index=rating.individual.index)
    names = {c: f"P{i + 1}" for i, c in enumerate(raw.value_counts().index)}
    labels = raw.map(names).rename("preference_class")
    means = rating.individual.groupby(labels).mean().T
    means = means[sorted(means.columns, key=lambda c: int(c[1:]))]
    means.columns.name = "preference_class"
    importance = pd.DataFrame({c: importance_of(means[c]) for c in means.columns})
    importance.columns.name = "preference_class"
    return PreferenceClasses(labels, means, importance, sil, best)


def classes_sentence(classes: PreferenceClasses, names: dict[str, str], language: str = "en") -> str:
    sizes = classes.sizes / classes.sizes.sum()
    first, second = sizes.index[0], sizes.index[1]
    top = {c: names.get(classes.importance[c].idxmax(), classes.importance[c].idxmax()) for c in (first, second)}
    return t("cj_classes", language, k=classes.k, largest=first, share=sizes[first], largest_top=top[first],
             other=second, other_share=sizes[second], other_top=top[second])


class PreferenceClassModel(BaseEstimator):
    """:func:`preference_classes` as a scikit-learn estimator: ``__init__`` stores, :meth:`fit`
    validates and learns ``labels_``, ``k_``, ``silhouette_``, ``importance_`` and ``result_``."""

    def __init__(self, k: int | None = None, k_range: tuple[int, int] = (2, 6), random_state: int = 0):
        self.k = k
        self.k_range = k_range
        self.random_state = random_state

    def fit(self, rating) -> "PreferenceClassModel":
        """Group the respondents of a :class:`RatingConjoint` by their part-worths."""
        self.result_ = preference_classes(rating, k=self.k, k_range=tuple(self.k_range), random_state=self.random_state)
        self.labels_, self.k_ = self.result_.labels, self.result_.k
        self.silhouette_, self.importance_ = self.result_.silhouette, self.result_.importance
        return self
