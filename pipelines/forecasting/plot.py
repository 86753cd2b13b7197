"""A PNG of one series: history, the forecast line and its 80%/95% bands, for the UI and report.

Returns bytes (Agg backend, no display) so an asset can attach it as metadata or the report can
embed it; values are shown in major units of the series' currency.
"""
from __future__ import annotations

import io

from pipelines.forecasting.forecast import SeriesForecast
from pipelines.money import to_major


def plot_forecast(result: SeriesForecast, currency: str = "USD") -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    def major(v: int) -> float:
        return float(to_major(v, currency))

    fig = Figure(figsize=(8, 4), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(result.history_months, [major(v) for v in result.history_values],
            color="black", label="history")
    if result.forecast:
        months = [r.month for r in result.forecast]
        ax.fill_between(months, [major(r.lower_95) for r in result.forecast],
                        [major(r.upper_95) for r in result.forecast],
                        color="tab:blue", alpha=0.15, label="95% interval")
        ax.fill_between(months, [major(r.lower_80) for r in result.forecast],
                        [major(r.upper_80) for r in result.forecast],
                        color="tab:blue", alpha=0.30, label="80% interval")
        ax.plot(months, [major(r.point) for r in result.forecast], color="tab:blue",
                label=f"forecast ({result.model})")
        ax.set_title(f"{result.series}: 12-month forecast")
    else:
        ax.set_title(f"{result.series}: no forecast ({result.reason})")
    ax.set_ylabel(currency.upper())
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
