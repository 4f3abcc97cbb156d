"""The report's charts as PNG bytes: matplotlib's Agg backend (no display, no Qt) and a CJK font
found on this machine.

The same numbers give the same bytes: no Software or date in the PNG's metadata, fixed size and
resolution, and hash salt is irrelevant to Agg. A machine without any CJK font fails with one line
naming the package to install, rather than drawing boxes for every township name.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from cati.errors import CatiError

# Preferred families first; any font whose name says CJK, Hei, Song … will do after them.
CJK_FAMILIES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC",
                "Source Han Sans SC", "Noto Serif CJK SC", "AR PL UMing CN", "Droid Sans Fallback")
FILE_HINTS = ("wqy", "notosanscjk", "notoserifcjk", "sourcehan", "droidsansfallback", "uming",
              "ukai", "simhei", "simsun", "msyh")
DPI = 150
BAR = "#2F5597"
BAR_SMALL = "#BFBFBF"
TARGET = "#C00000"


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The path of a font file that draws Chinese; CatiError when there is none."""
    from matplotlib import font_manager

    fonts = font_manager.fontManager.ttflist
    by_name = {}
    for entry in sorted(fonts, key=lambda e: e.fname):
        by_name.setdefault(entry.name, entry.fname)
    for family in CJK_FAMILIES:
        if family in by_name:
            return by_name[family]
    for name in sorted(by_name):
        if any(word in name for word in ("CJK", "Hei", "Song", "Ming", "Kai", "Han Sans")):
            return by_name[name]
    # a font installed after matplotlib cached its list: look at the files themselves
    for path in sorted(font_manager.findSystemFonts()):
        if any(word in Path(path).name.lower() for word in FILE_HINTS):
            return path
    raise CatiError("no Chinese font found for the report's charts: install one "
                    "(apt-get install fonts-wqy-microhei or fonts-noto-cjk)")


def _figure(width: float, height: float):
    """A figure on its own Agg canvas: no pyplot, so no global backend and no figure registry
    (the console draws on its worker thread)."""
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = cjk_font()
    font_manager.fontManager.addfont(path)
    name = font_manager.FontProperties(fname=path).get_name()
    matplotlib.rcParams.update({"font.family": "sans-serif",
                                "font.sans-serif": [name, "DejaVu Sans"],
                                "axes.unicode_minus": False})
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def bar_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str,
              share: bool, marked: Sequence[bool] = (), target: float | None = None) -> bytes:
    """Horizontal bars, the first label at the top; ``marked`` bars (too few interviews) grey.
    Values are shares (shown as %) when ``share``."""
    scale = 100 if share else 1
    shown = [0.0 if v is None else v * scale for v in values]
    figure = _figure(6.3, max(2.4, 0.2 * len(labels) + 1.0))
    axes = figure.subplots()
    colours = [BAR_SMALL if (i < len(marked) and marked[i]) else BAR
               for i in range(len(labels))]
    positions = list(range(len(labels)))
    axes.barh(positions, shown, color=colours, height=0.7)
    axes.set_yticks(positions, labels=list(labels), fontsize=7)
    axes.invert_yaxis()
    for position, value, raw in zip(positions, shown, values, strict=True):
        text = "—" if raw is None else (f"{value:.1f}%" if share else f"{value:.2f}")
        axes.text(value, position, " " + text, va="center", fontsize=7)
    low = min((v for v, raw in zip(shown, values, strict=True) if raw is not None),
              default=0.0)
    top = max(shown, default=1.0) or 1.0
    axes.set_xlim(max(0.0, low - (top - low) * 0.6 - 5 * (scale / 100 if share else 1)),
                  top + (top - min(low, top)) * 0.15 + (4 if share else 1))
    if target is not None:
        axes.axvline(target * scale, color=TARGET, linewidth=1, linestyle="--",
                     label=f"目标 {target * scale:.1f}" + ("%" if share else ""))
        axes.legend(fontsize=7, loc="lower right", frameon=False)
    axes.set_title(title, fontsize=10)
    axes.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    return _png(figure)


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
               title: str, share: bool) -> bytes:
    """One line per series over the waves (``labels``); a missing value breaks the line."""
    scale = 100 if share else 1
    figure = _figure(6.3, 3.1)
    axes = figure.subplots()
    positions = list(range(len(labels)))
    for name, values in series:
        shown = [float("nan") if v is None else v * scale for v in values]
        axes.plot(positions, shown, marker="o", linewidth=1.6, markersize=4, label=name)
        for position, value in zip(positions, shown, strict=True):
            if value == value:  # not NaN
                axes.annotate(f"{value:.1f}" if share else f"{value:.2f}", (position, value),
                              textcoords="offset points", xytext=(0, 5), ha="center",
                              fontsize=6)
    axes.set_xticks(positions, labels=list(labels), fontsize=7)
    if len(positions) == 1:
        axes.set_xlim(-0.5, 0.5)
    axes.set_ylabel("%" if share else "分", fontsize=7)
    axes.tick_params(axis="y", labelsize=7)
    axes.grid(axis="y", linewidth=0.4, alpha=0.5)
    axes.margins(y=0.18)  # room for the value labels
    axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False,
                ncol=min(3, len(series)))
    axes.set_title(title, fontsize=10)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    return _png(figure)
