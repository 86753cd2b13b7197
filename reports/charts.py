"""PNG charts for the reports (matplotlib, Agg, no display, no global pyplot state).

Inputs are exact (integer minor units with their currency, Decimal ratios); floats appear here
only to place marks on a plot, after the tables already carry the exact figures.
Each function returns RGB PNG bytes (no alpha, so PDF embedding stays a single image).
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from pipelines.money import to_major  # noqa: E402

POSITIVE = "#2a9d8f"
NEGATIVE = "#e76f51"
NEUTRAL = "#264653"
ACCENT = "#e9c46a"


def _major(minor: int, currency: str) -> float:
    return float(to_major(minor, currency))


def _figure(width: float = 7.5, height: float = 3.6) -> Figure:
    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    rgb = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    out = io.BytesIO()
    rgb.save(out, format="PNG")
    return out.getvalue()


def _labels(months: Sequence[date]) -> list[str]:
    return [m.strftime("%Y-%m") for m in months]


def revenue_by_month(months: Sequence[date], gross: Sequence[int], net: Sequence[int], currency: str) -> bytes:
    """Gross volume bars and platform net revenue line, in the reporting currency."""
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    x = list(range(len(months)))
    ax.bar(x, [_major(v, currency) for v in gross], color=NEUTRAL, label="gross volume")
    ax.plot(x, [_major(v, currency) for v in net], color=ACCENT, marker="o", linewidth=2,
            label="platform net revenue")
    ax.set_xticks(x, _labels(months), rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(currency)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.legend(fontsize=8)
    ax.set_title(f"Revenue by month ({currency})")
    return _png(fig)


def mrr_waterfall(start: int, movements: Sequence[tuple[str, int]], end: int, currency: str) -> bytes:
    """Start MRR, each signed movement as a floating bar, end MRR."""
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    labels = ["start"] + [m[0] for m in movements] + ["end"]
    bottoms, heights, colours = [0.0], [_major(start, currency)], [NEUTRAL]
    level = start
    for _, change in movements:
        lo = min(level, level + change)
        bottoms.append(_major(lo, currency))
        heights.append(_major(abs(change), currency))
        colours.append(POSITIVE if change >= 0 else NEGATIVE)
        level += change
    bottoms.append(0.0)
    heights.append(_major(end, currency))
    colours.append(NEUTRAL)
    x = list(range(len(labels)))
    ax.bar(x, heights, bottom=bottoms, color=colours)
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel(currency)
    ax.set_title(f"MRR movements ({currency})")
    return _png(fig)


def cohort_heatmap(cohorts: Sequence[date], max_age: int, cells: dict[tuple[date, int], Decimal | None],
                   title: str = "Revenue retention by cohort") -> bytes:
    """Rows: cohorts (first paid month); columns: months since; colour: retention (0..1+)."""
    import numpy as np

    grid = np.full((len(cohorts), max_age + 1), np.nan)
    for r, cohort in enumerate(cohorts):
        for age in range(max_age + 1):
            v = cells.get((cohort, age))
            if v is not None:
                grid[r, age] = float(v)
    fig = _figure(7.5, max(2.4, 0.32 * len(cohorts) + 1.4))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=max(1.0, np.nanmax(grid) if np.isfinite(grid).any() else 1.0))
    ax.set_yticks(range(len(cohorts)), _labels(cohorts), fontsize=7)
    ax.set_xticks(range(max_age + 1), [str(a) for a in range(max_age + 1)], fontsize=7)
    ax.set_xlabel("months since first paid month")
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            if np.isfinite(grid[r, c]) and grid.shape[1] <= 13:
                ax.text(c, r, f"{grid[r, c]:.0%}", ha="center", va="center", fontsize=6,
                        color="white" if grid[r, c] < 0.6 else "black")
    fig.colorbar(image, ax=ax, fraction=0.04)
    ax.set_title(title)
    return _png(fig)


def top_creators_bar(names: Sequence[str], amounts: Sequence[int], currency: str) -> bytes:
    fig = _figure(7.5, max(2.4, 0.35 * len(names) + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    y = list(range(len(names)))[::-1]
    ax.barh(y, [_major(v, currency) for v in amounts], color=NEUTRAL)
    ax.set_yticks(y, list(names), fontsize=8)
    ax.set_xlabel(currency)
    ax.set_title(f"Top creators by gross volume ({currency})")
    return _png(fig)


def forecast_chart(history_months: Sequence[date], history_values: Sequence[int], months: Sequence[date],
                   point: Sequence[int], lower_80: Sequence[int], upper_80: Sequence[int],
                   lower_95: Sequence[int], upper_95: Sequence[int], currency: str) -> bytes:
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(list(history_months), [_major(v, currency) for v in history_values], color="black", label="actual")
    if months:
        ax.fill_between(list(months), [_major(v, currency) for v in lower_95],
                        [_major(v, currency) for v in upper_95], color=POSITIVE, alpha=0.2, label="95% interval")
        ax.fill_between(list(months), [_major(v, currency) for v in lower_80],
                        [_major(v, currency) for v in upper_80], color=POSITIVE, alpha=0.4, label="80% interval")
        ax.plot(list(months), [_major(v, currency) for v in point], color=POSITIVE, linestyle="--", label="forecast")
    ax.set_ylabel(currency)
    ax.legend(fontsize=8)
    ax.set_title(f"Forecast with intervals ({currency})")
    fig.autofmt_xdate()
    return _png(fig)


STATUS_COLOURS = {"over": NEGATIVE, "near": ACCENT}


def rates_vs_thresholds(measures: Sequence[str], rates: Sequence[Decimal | None],
                        thresholds: Sequence[Decimal | None], statuses: Sequence[str]) -> bytes:
    """Each measure's rate (bar, %) beside its threshold (marker), coloured by its status (a rate
    at the line with too few counts for the programme stays 'ok', as the fraud module decides)."""
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    x = list(range(len(measures)))
    values = [0.0 if r is None else float(r) * 100 for r in rates]
    lines = [None if t is None else float(t) * 100 for t in thresholds]
    colours = [STATUS_COLOURS.get(s, POSITIVE) for s in statuses]
    ax.bar(x, values, color=colours, label="rate")
    tx = [i for i, t in zip(x, lines) if t is not None]
    ax.scatter(tx, [t for t in lines if t is not None], marker="_", s=900, color="black", linewidths=2,
               label="threshold", zorder=3)
    ax.set_xticks(x, list(measures), fontsize=8)
    ax.set_ylabel("%")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("Fraud and dispute rates against their thresholds")
    return _png(fig)
