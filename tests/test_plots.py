"""The house chart style renders Chinese with the font the install brings (no tofu boxes)."""
import warnings
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from matplotlib import font_manager

from custlab import plots

CHINESE = "大客户收入占比（华东）"


def _draw(title: str):
    fig, ax = plots.new_figure(4, 3)
    ax.set_title(title)
    ax.set_xlabel("客户份额 %")
    fig.canvas.draw()  # glyphs are looked up only when text is laid out
    return fig, ax


def test_chinese_text_uses_the_bundled_cjk_font_without_missing_glyphs():
    family = plots.use_theme()
    assert family == "Noto Sans CJK SC"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Matplotlib warns "Glyph ... missing from font(s)" for tofu
        fig, ax = _draw(CHINESE)
    used = Path(font_manager.findfont(ax.title.get_fontproperties(), fallback_to_default=False))
    assert used == plots.cjk_font_path() and used.stat().st_size > 10_000_000  # the whole CJK font, not a stub
    matplotlib.pyplot.close(fig)


def test_the_glyph_check_fails_without_the_cjk_font():
    # the same drawing with Matplotlib's default font warns: the check above can fail
    plots.use_theme()
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"], "font.sans-serif": ["DejaVu Sans"]}):
        with pytest.warns(UserWarning, match="missing from font"):
            fig, _ = _draw(CHINESE)
    matplotlib.pyplot.close(fig)


def test_chart_helpers_label_in_the_report_language():
    plots.use_theme()
    shares = pd.DataFrame({"phone": [0.25], "email": [0.0]}, index=pd.Index(["customers"], name="table"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.missing_heatmap(shares, "zh")
        fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.get_title() == "各字段缺失率（%）"
    assert [t.get_text() for t in ax.texts] == ["25", "0"]  # annotated in percent
    assert [t.get_text() for t in ax.get_xticklabels()] == ["电话", "邮箱"]  # fields and tables in the report language
    assert [t.get_text() for t in ax.get_yticklabels()] == ["客户"]
    matplotlib.pyplot.close(fig)
    coords = pd.DataFrame({"dim1": [0.1, -0.1, 0.2], "dim2": [0.0, 0.1, -0.1], "kind": ["industry", "industry", "category"]},
                          index=["制造业", "金融业", "服务"])
    fig = plots.correspondence_map(coords, pd.Series([0.9, 0.1]), "zh")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["行业", "品类"]
    matplotlib.pyplot.close(fig)
