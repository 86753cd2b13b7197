"""Monthly revenue forecasts that report their own measured accuracy (issue 7).

Pure library: plain lists / numpy in, dataclasses out; the Dagster assets read the marts, call
`forecast.forecast_series` and write `finance.revenue_forecast` and `finance.forecast_backtest`.
"""
