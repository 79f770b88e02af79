"""The house chart style renders Chinese with the font the install brings (no tofu boxes)."""
import warnings
from pathlib import Path

import matplotlib
import numpy as np
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
    from custlab.analyses import factors
    parallel = factors.ParallelAnalysis(pd.DataFrame({"observed": [3.0, 1.5, 0.5], "random": [1.2, 1.0, 0.8]},
                                                     index=pd.RangeIndex(1, 4, name="component")), 2, 2, 0.95)
    fig = plots.scree_plot(parallel, "zh")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("碎石图与平行分析", "成分", "特征值")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["问卷数据", "随机数据（95% 分位数）"]
    assert list(ax.lines[0].get_ydata()) == [3.0, 1.5, 0.5]
    matplotlib.pyplot.close(fig)


def test_correspondence_map_labels_cover_neither_each_other_nor_leave_the_chart():
    plots.use_theme()
    rng = np.random.default_rng(0)
    names = ["电力、热力、燃气及水生产和供应业", "房地产业", "租赁和商务服务业", "信息传输、软件和信息技术服务业",
             "批发和零售业", "制造业", "住宿和餐饮业", "交通运输、仓储和邮政业", "耗材", "配件"]
    coords = pd.DataFrame({"dim1": rng.normal(0, 0.01, len(names)) + np.r_[0.1, np.zeros(len(names) - 1)],  # one far right
                           "dim2": rng.normal(0, 0.01, len(names)), "kind": ["industry"] * 8 + ["category"] * 2},
                          index=names)
    fig = plots.correspondence_map(coords, pd.Series([0.8, 0.2]), "zh")
    fig.canvas.draw()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert sorted(t.get_text() for t in ax.texts) == sorted(names)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    frame = ax.get_window_extent(renderer)
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1 for b in boxes)
    matplotlib.pyplot.close(fig)


def test_importance_bars_show_each_drivers_share_largest_on_top():
    plots.use_theme()
    importance = pd.DataFrame({"lmg": [0.3, 0.1], "explained_share": [0.75, 0.25]}, index=pd.Index(["服务", "价格"], name="driver"))
    fig = plots.importance_bars(importance, "满意度", "zh")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel()) == ("满意度的驱动因素", "占已解释方差（%）")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["价格", "服务"]  # barh draws bottom-up: the largest on top
    assert [round(p.get_width()) for p in ax.patches] == [25, 75] and [t.get_text() for t in ax.texts] == [" 25%", " 75%"]
    matplotlib.pyplot.close(fig)


def test_segment_heatmap_names_segments_and_features_in_the_report_language():
    plots.use_theme()
    z = pd.DataFrame({"order_rate": [1.2, -0.4], "mix:设备": [-0.5, 2.5]},
                     index=pd.Index(["S1", "S2"], name="customer_segment"))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font")  # seaborn's own deprecation warnings aside
        fig = plots.segment_heatmap(z, {"S1": "核心客户"}, "zh")
        fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.get_title() == "各细分群体的特征"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["月均订单数", "设备支出占比"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["核心客户", "S2"]
    assert [t.get_text() for t in ax.texts] == ["1.2", "-0.5", "-0.4", "2.5"]
    assert ax.collections[0].get_clim() == (-2.5, 2.5)  # symmetric around zero: red above average, blue below
    matplotlib.pyplot.close(fig)
