"""One chart look for every notebook, with a font that renders Chinese on a fresh machine.

The CJK font (Noto Sans CJK SC) comes from the ``mplfonts`` package on PyPI, so ``make``
installs it with the rest of the environment; nothing is installed by hand.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib import font_manager

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
PALETTE = "deep"


def cjk_font_path() -> Path:
    """Path of the bundled Noto Sans CJK SC font file."""
    path = Path(str(resources.files("mplfonts") / "fonts" / CJK_FONT_FILE))
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reinstall the environment with `make venv` (mplfonts ships it).")
    return path


def cjk_font_name() -> str:
    """Register the CJK font with Matplotlib and return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def use_theme(context: str = "notebook") -> str:
    """Apply the custlab seaborn theme with the CJK font; return the font family used."""
    family = cjk_font_name()
    sns.set_theme(context=context, style="whitegrid", palette=PALETTE,
                  font=family, rc={"axes.unicode_minus": False, "figure.dpi": 100,
                                   "savefig.dpi": 100, "figure.figsize": (8, 4.5)})
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    return family


def new_figure(width: float = 8, height: float = 4.5):
    """A figure and axes in the house style."""
    return plt.subplots(figsize=(width, height))


def show(fig) -> None:
    """Display ``fig`` where the cell is, not after it (a loop that draws a chart per outcome), and close it."""
    from IPython.display import display

    display(fig)
    plt.close(fig)


def pareto_curve(tiers, language: str = "en"):
    """Cumulative share of value against share of customers, with the 80/20 guides."""
    from .i18n import t

    fig, ax = new_figure(6, 4.5)
    ax.plot(tiers["customer_share"] * 100, tiers["value_share"] * 100, lw=2)
    ax.plot([0, 100], [0, 100], ls=":", color="grey")
    ax.axvline(20, ls="--", color="grey", lw=1)
    ax.set_xlabel(t("share_customers", language))
    ax.set_ylabel(t("share_value", language))
    ax.set_title(t("pareto_title", language))
    return fig


def missing_heatmap(shares, language: str = "en"):
    """Share of missing values per column (rows: tables, columns: fields), e.g. from
    :func:`custlab.data.sources.missing_by_table`."""
    from .i18n import label, t, value_label

    fig, ax = new_figure(10, 0.6 * len(shares) + 2)
    percent = (shares * 100).rename(index=lambda n: value_label("table", n, language),  # tables and fields in the report language
                                    columns=lambda c: label(c, language))
    sns.heatmap(percent, ax=ax, cmap="Reds", vmin=0, vmax=max(10, float(shares.max().max() * 100)),
                annot=True, fmt=".0f", cbar_kws={"label": "%"}, linewidths=0.5)
    ax.set_title(t("missing_title", language))
    ax.set_xlabel("")
    ax.set_ylabel("")
    return fig


def correspondence_map(coords, inertia, language: str = "en"):
    """Correspondence-analysis map: row and column points on the first two dimensions."""
    from .i18n import label, t

    from adjustText import adjust_text

    fig, ax = new_figure(8, 6)
    names = []
    for kind, marker in zip(coords["kind"].unique(), ("o", "^")):
        pts = coords[coords["kind"] == kind]
        ax.scatter(pts["dim1"], pts["dim2"], marker=marker, label=label(kind, language))
        names += [ax.text(row["dim1"], row["dim2"], str(name), fontsize=8) for name, row in pts.iterrows()]
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel(f"{t('ca_dim', language, n=1)} ({inertia.iloc[0]:.0%})")
    ax.set_ylabel(f"{t('ca_dim', language, n=2)} ({inertia.iloc[1]:.0%})")
    ax.set_title(t("ca_title", language))
    ax.legend()
    # level names (long industry names) moved apart so that none covers another, each with a line to its point
    adjust_text(names, ax=ax, arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.5})
    return fig


def scree_plot(parallel, language: str = "en"):
    """Eigenvalues of the survey answers against random data's (a :class:`custlab.analyses.factors.ParallelAnalysis`),
    the number of factors kept marked."""
    from .i18n import label, t

    e = parallel.eigenvalues
    fig, ax = new_figure(7, 4.5)
    ax.plot(e.index, e["observed"], marker="o", label=t("fa_observed", language))
    ax.plot(e.index, e["random"], ls="--", color="grey", label=t("fa_random", language, q=parallel.quantile))
    ax.axvline(parallel.n_factors + 0.5, color="grey", lw=0.5)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(label("component", language))
    ax.set_ylabel(label("eigenvalue", language))
    ax.set_title(t("fa_scree_title", language))
    ax.legend()
    return fig


def share_bars(shares, title: str, axis: str):
    """Horizontal bars of shares (0-1, a Series labelled by what they belong to), largest on top,
    each labelled with its percentage."""
    fig, ax = new_figure(7, 0.5 * len(shares) + 1.5)
    percent = shares.sort_values().astype(float) * 100
    ax.barh([str(i) for i in percent.index], percent.to_numpy())
    for y, share in enumerate(percent):
        ax.text(share, y, f" {share:.0f}%", va="center")
    ax.set_xlabel(axis)
    ax.set_title(title)
    return fig


def importance_bars(importance, outcome: str, language: str = "en"):
    """Each driver's share of the explained variance (a :class:`custlab.analyses.regression.DriverModel`'s
    ``importance``), largest on top; ``outcome`` as the title names it."""
    from .i18n import t

    return share_bars(importance["explained_share"], t("rg_title", language, outcome=outcome), t("rg_axis", language))


def segment_heatmap(z_means, names: dict[str, str] | None = None, language: str = "en"):
    """Each segment's feature means in standard deviations from the average customer (from
    :func:`custlab.analyses.segments.z_means`), diverging around zero; ``names`` relabels the segments."""
    from .i18n import t
    from .analyses.segments import feature_label

    data = z_means.rename(index=names or {}, columns=lambda c: feature_label(c, language))
    fig, ax = new_figure(max(7, 0.9 * data.shape[1] + 2), 0.55 * len(data) + 2.2)
    limit = max(1.0, float(abs(data.to_numpy()).max()))
    sns.heatmap(data, ax=ax, cmap="RdBu_r", center=0, vmin=-limit, vmax=limit, annot=True, fmt=".1f",
                cbar_kws={"label": t("sg_heatmap_note", language)})
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=30)
    plt.setp(ax.get_xticklabels(), ha="right")
    ax.set_title(t("sg_heatmap_title", language))
    return fig


def lift_bars(lift, language: str = "en"):
    """Lift over the average key-account rate per tenth of the score (a
    :class:`custlab.analyses.prospects.PropensityModel`'s ``lift``), the average marked at 1."""
    from .i18n import label, t

    fig, ax = new_figure(7, 4)
    ax.bar([str(d) for d in lift.index], lift["lift"].to_numpy())
    ax.axhline(1, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(label("decile", language))
    ax.set_ylabel(t("pr_lift_axis", language))
    ax.set_title(t("pr_lift_title", language))
    return fig
