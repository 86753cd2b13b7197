"""Revenue forecasts that report their measured accuracy (issue 7), as Dagster assets.

Thin: read the marts, build the monthly series (`pipelines.forecasting.inputs`), call
`forecast.forecast_series` per series, write `finance.revenue_forecast` and
`finance.forecast_backtest`, save a PNG per series under `$CASHBOOK_OUTPUT_DIR/forecasts/` and
put every number (chosen model, backtest MASE / MAPE / coverage, degrade reasons) and the plots
into the materialization metadata.

Series, all in the reporting currency: platform net revenue (`marts.fct_revenue_monthly`,
`platform_net_revenue_reporting` summed over currencies), MRR (`marts.subscription_metrics_monthly`)
and the net revenue (gross volume less refunds and disputes) of the N largest creators by trailing
revenue (`marts.fct_creator_earnings_monthly`, their rows settled in the reporting currency).
Only complete months are inputs. Resource `warehouse` (WarehouseResource) is bound by
`assets.raw_stripe`'s definitions.
"""

import base64
import os
from datetime import date
from pathlib import Path

# statsmodels / numpy use BLAS threads per process; on a shared machine one thread is faster
# (see tests/forecasting/conftest.py): set before numpy is imported by the forecasting library.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import dagster as dg  # noqa: E402
import polars as pl  # noqa: E402

from pipelines.forecasting import inputs  # noqa: E402
from pipelines.forecasting.forecast import SeriesForecast, forecast_series  # noqa: E402
from pipelines.forecasting.plot import plot_forecast  # noqa: E402
from pipelines.forecasting.tables import (  # noqa: E402
    forecast_backtest_frame,
    revenue_forecast_frame,
    summary,
)
from pipelines.resources import WarehouseResource  # noqa: E402
from pipelines.settings import load_settings  # noqa: E402
from pipelines.warehouse.frames import read_frame, replace_table  # noqa: E402

GROUP = "finance"
REVENUE_FORECAST = dg.AssetKey(["finance", "revenue_forecast"])
FORECAST_BACKTEST = dg.AssetKey(["finance", "forecast_backtest"])
REVENUE_MONTHLY = dg.AssetKey(["marts", "fct_revenue_monthly"])
REVENUE_DAILY = dg.AssetKey(["marts", "fct_revenue_daily"])
SUBSCRIPTION_METRICS = dg.AssetKey(["marts", "subscription_metrics_monthly"])
CREATOR_EARNINGS = dg.AssetKey(["marts", "fct_creator_earnings_monthly"])


class ForecastConfig(dg.Config):
    top_creators: int = 5  # creators forecast one by one, the largest by trailing revenue
    trailing_months: int = 12  # the window that ranks creators
    max_origins: int = 6  # rolling-origin backtest: the latest origins scored
    seed: int = 0
    horizon: int = 12


def _last_complete_month(url: str) -> date | None:
    as_of = read_frame(url, "SELECT max(revenue_date) AS as_of FROM marts.fct_revenue_daily")["as_of"][0]
    return None if as_of is None else inputs.last_complete_month(_as_date(as_of))


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def load_series(url: str, reporting_currency: str, top_n: int, trailing_months: int
                ) -> tuple[list[tuple[str, list[date], list[int]]], dict]:
    """(series name, months, values in reporting-currency minor units) for every series, and
    facts about the inputs for the metadata."""
    last = _last_complete_month(url)
    facts: dict = {"reporting_currency": reporting_currency,
                   "last_complete_month": str(last) if last else None}
    if last is None:
        return [], facts
    revenue = read_frame(url, "SELECT revenue_month AS month, platform_net_revenue_reporting AS value "
                              "FROM marts.fct_revenue_monthly")
    totals = inputs.sum_by_month((_as_date(m), v) for m, v in revenue.iter_rows())
    series = [(inputs.PLATFORM_NET_REVENUE, *inputs.monthly_series(totals, last))]

    mrr = read_frame(url, "SELECT month, mrr_reporting AS value FROM marts.subscription_metrics_monthly "
                          "WHERE is_month_complete")
    mrr_totals = inputs.sum_by_month((_as_date(m), v) for m, v in mrr.iter_rows())
    series.append((inputs.MRR, *inputs.monthly_series(mrr_totals, last)))

    creators = read_frame(
        url, "SELECT creator_account_id, month, currency, "
             "gross_volume + refunds + disputes AS net_revenue FROM marts.fct_creator_earnings_monthly")
    other = creators.filter(pl.col("currency") != reporting_currency)
    facts["creator_rows_in_other_currencies"] = other.height
    own = [(c, _as_date(m), int(v)) for c, m, cur, v in creators.iter_rows() if cur == reporting_currency]
    chosen = inputs.top_creators(own, top_n, last, trailing_months)
    facts["top_creators"] = [{"creator_account": c, "trailing_net_revenue": v} for c, v in chosen]
    for creator, _ in chosen:
        by_month = inputs.sum_by_month((m, v) for c, m, v in own if c == creator)
        series.append((inputs.creator_series_name(creator), *inputs.monthly_series(by_month, last)))
    return series, facts


def _png_markdown(series: str, png: bytes) -> str:
    return f"![{series}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def _backtest_markdown(result: SeriesForecast) -> str:
    """The backtest of one series: each model's MASE / MAPE / coverage averaged over horizons."""
    per_model: dict[str, list] = {}
    for row in result.backtest:
        per_model.setdefault(row.model, []).append(row)

    def mean(values):
        present = [v for v in values if v is not None]
        return f"{sum(present) / len(present):.3f}" if present else "n/a"

    lines = ["| model | chosen | mean MASE | mean MAPE % | coverage 80 | coverage 95 | horizons |",
             "|---|---|---|---|---|---|---|"]
    for model, rows in per_model.items():
        lines.append(f"| {model} | {'yes' if model == result.model else ''} | "
                     f"{mean([r.mase for r in rows])} | {mean([r.mape for r in rows])} | "
                     f"{mean([r.coverage_80 for r in rows])} | {mean([r.coverage_95 for r in rows])} | "
                     f"{len(rows)} |")
    return "\n".join(lines)


def series_metrics(result: SeriesForecast) -> dict:
    """The chosen model's backtest averaged over horizons, plus the summary fields."""
    out = summary(result)
    chosen = [r for r in result.backtest if r.model == result.model]

    def mean(values):
        present = [v for v in values if v is not None]
        return sum(present) / len(present) if present else None

    out.update({"chosen_mean_mape": mean([r.mape for r in chosen]),
                "chosen_coverage_80": mean([r.coverage_80 for r in chosen]),
                "chosen_coverage_95": mean([r.coverage_95 for r in chosen])})
    return out


def _metadata_value(value):
    if value is None:
        return dg.MetadataValue.text("n/a")
    if isinstance(value, bool):
        return dg.MetadataValue.bool(value)
    if isinstance(value, int):
        return dg.MetadataValue.int(value)
    if isinstance(value, float):
        return dg.MetadataValue.float(round(value, 4))
    if isinstance(value, (list, dict)):
        return dg.MetadataValue.json(value)
    return dg.MetadataValue.text(str(value))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(REVENUE_FORECAST, group_name=GROUP, kinds={"python", "statsmodels"},
                     deps=[REVENUE_MONTHLY, REVENUE_DAILY, SUBSCRIPTION_METRICS, CREATOR_EARNINGS],
                     description="12-month forecasts with 80%/95% intervals: platform net revenue, "
                                 "MRR and the largest creators' net revenue (reporting currency)."),
        dg.AssetSpec(FORECAST_BACKTEST, group_name=GROUP, kinds={"python", "statsmodels"},
                     deps=[REVENUE_MONTHLY, REVENUE_DAILY, SUBSCRIPTION_METRICS, CREATOR_EARNINGS],
                     description="Rolling-origin backtest of every candidate model per series: "
                                 "MASE against seasonal naive, MAPE, interval coverage, horizons 1-6."),
    ],
)
def revenue_forecasts(context: dg.AssetExecutionContext, config: ForecastConfig,
                      warehouse: WarehouseResource):
    settings = load_settings()
    url = warehouse.resolved_url()
    currency = settings.reporting_currency
    series, facts = load_series(url, currency, config.top_creators, config.trailing_months)
    results: list[SeriesForecast] = []
    for name, months, values in series:
        context.log.info(f"forecasting {name}: {len(months)} complete months")
        results.append(forecast_series(name, months, values, horizon=config.horizon, seed=config.seed,
                                       max_origins=config.max_origins))

    forecast = revenue_forecast_frame(results).with_columns(pl.lit(currency).alias("currency"))
    backtest = forecast_backtest_frame(results)
    replace_table(url, "finance.revenue_forecast", forecast)
    replace_table(url, "finance.forecast_backtest", backtest)

    plot_dir = Path(settings.output_dir) / "forecasts"
    plot_dir.mkdir(parents=True, exist_ok=True)
    forecast_meta: dict = {"rows": dg.MetadataValue.int(forecast.height),
                           "series": dg.MetadataValue.json([r.series for r in results]),
                           "inputs": dg.MetadataValue.json(facts)}
    backtest_meta: dict = {"rows": dg.MetadataValue.int(backtest.height)}
    for result in results:
        metrics = series_metrics(result)
        for key in ("status", "model", "reason", "notes", "months_of_history", "chosen_mean_mase",
                    "seasonal_naive_mean_mase", "chosen_mean_mape", "chosen_coverage_80",
                    "chosen_coverage_95"):
            forecast_meta[f"{result.series}/{key}"] = _metadata_value(metrics[key])
        for key in ("model", "chosen_mean_mase", "seasonal_naive_mean_mase", "chosen_mean_mape",
                    "chosen_coverage_80", "chosen_coverage_95"):
            backtest_meta[f"{result.series}/{key}"] = _metadata_value(metrics[key])
        if result.backtest:
            backtest_meta[f"{result.series}/by_model"] = dg.MetadataValue.md(_backtest_markdown(result))
        else:
            backtest_meta[f"{result.series}/by_model"] = dg.MetadataValue.text(
                f"no backtest: {result.reason or '; '.join(result.notes)}")
        png = plot_forecast(result, currency)
        path = plot_dir / f"{result.series.replace(':', '_')}.png"
        path.write_bytes(png)
        forecast_meta[f"{result.series}/plot"] = dg.MetadataValue.md(_png_markdown(result.series, png))
        forecast_meta[f"{result.series}/plot_file"] = dg.MetadataValue.path(str(path))
    if not results:
        forecast_meta["reason"] = dg.MetadataValue.text("no revenue data in the marts yet")
    yield dg.MaterializeResult(asset_key=REVENUE_FORECAST, metadata=forecast_meta)
    yield dg.MaterializeResult(asset_key=FORECAST_BACKTEST, metadata=backtest_meta)


@dg.asset_check(asset=REVENUE_FORECAST, description="Intervals nest around the point: "
                "lower_95 <= lower_80 <= point <= upper_80 <= upper_95, 12 months per series.")
def revenue_forecast_intervals(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = read_frame(warehouse.resolved_url(),
                       "SELECT series, month, point, lower_80, upper_80, lower_95, upper_95 "
                       "FROM finance.revenue_forecast")
    bad = frame.filter(~((pl.col("lower_95") <= pl.col("lower_80")) & (pl.col("lower_80") <= pl.col("point"))
                         & (pl.col("point") <= pl.col("upper_80")) & (pl.col("upper_80") <= pl.col("upper_95"))))
    per_series = frame.group_by("series").agg(pl.len().alias("n"), pl.col("month").n_unique().alias("months"))
    wrong_count = per_series.filter((pl.col("n") != 12) | (pl.col("months") != 12))
    return dg.AssetCheckResult(
        passed=bad.height == 0 and wrong_count.height == 0,
        metadata={"rows_with_bad_intervals": bad.height,
                  "series_without_12_months": wrong_count["series"].to_list()})


@dg.asset_check(asset=FORECAST_BACKTEST, description="Scores are well formed: MASE and MAPE "
                "non-negative, coverages within [0, 1], one row per series, model and horizon.")
def forecast_backtest_scores(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = read_frame(warehouse.resolved_url(),
                       "SELECT series, model, horizon, mase, mape, coverage_80, coverage_95 "
                       "FROM finance.forecast_backtest")
    bad = frame.filter((pl.col("mase") < 0) | (pl.col("mape") < 0)
                       | ~pl.col("coverage_80").is_between(0, 1) | ~pl.col("coverage_95").is_between(0, 1))
    duplicates = frame.height - frame.select("series", "model", "horizon").unique().height
    return dg.AssetCheckResult(passed=bad.height == 0 and duplicates == 0,
                               metadata={"rows_out_of_range": bad.height, "duplicate_keys": duplicates})


defs = dg.Definitions(assets=[revenue_forecasts],
                      asset_checks=[revenue_forecast_intervals, forecast_backtest_scores])
