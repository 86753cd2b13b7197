"""The report assets materialized on a small world's marts: every figure checked against a direct
query of the mart it comes from; PDFs rendered to images and checked non-blank."""
import csv
import io
import json
import zipfile
from datetime import date
from decimal import Decimal

import dagster as dg
import pypdfium2 as pdfium
import pytest

from assets import report_inputs as inputs
from assets.reports import annual_report_asset, creator_statements_asset, monthly_report_asset
from pipelines.money import to_major
from reports.layout import format_money


@pytest.fixture(scope="module")
def built(report_warehouse, tmp_path_factory):
    wh = report_warehouse
    out = tmp_path_factory.mktemp("output")
    month = wh.query("select max(revenue_month) from marts.fct_revenue_monthly where gross_volume > 0")[0][0]
    before = inputs.add_months(month, -1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_URL", f"duckdb:///{wh.path}")
        mp.setenv("CASHBOOK_OUTPUT_DIR", str(out))
        mp.setenv("REPORTING_CURRENCY", "USD")
        mp.setenv("DBT_TARGET_PATH", wh.env["DBT_TARGET_PATH"])
        instance = dg.DagsterInstance.ephemeral()
        results = {}
        for key, assets in ((f"{month:%Y-%m}", [monthly_report_asset, creator_statements_asset]),
                            (f"{before:%Y-%m}", [creator_statements_asset]),
                            (f"{month.year}", [annual_report_asset])):
            result = dg.materialize(assets, partition_key=key, instance=instance)
            assert result.success
            for event in result.get_asset_materialization_events():
                results[(event.asset_key.path[-1], key)] = event.materialization.metadata
    return wh, out, month, before, results


def _meta(metadata, name):
    return metadata[name].value


def _money(minor: int, currency: str = "USD") -> str:
    return format_money(minor, currency)


def test_monthly_headlines_agree_with_the_marts(built):
    wh, out, month, _, results = built
    meta = results[("monthly_report", f"{month:%Y-%m}")]
    gross, net = wh.query(f"select sum(gross_volume_reporting), sum(platform_net_revenue_reporting) "
                          f"from marts.fct_revenue_monthly where revenue_month = date '{month}'")[0]
    mrr, nrr = wh.query(f"select mrr_reporting, net_revenue_retention from marts.subscription_metrics_monthly "
                        f"where month = date '{month}'")[0]
    assert gross > 0 and mrr > 0
    assert _meta(meta, "headline: Gross volume (consolidated)") == _money(gross)
    assert _meta(meta, "headline: Platform net revenue (consolidated)") == _money(net)
    assert _meta(meta, "headline: MRR at the end of the period") == _money(mrr)
    assert _meta(meta, "headline: ARR") == _money(12 * mrr)
    pct = (Decimal(str(nrr)) * 100).quantize(Decimal("0.01"))
    assert _meta(meta, "headline: Net revenue retention (last month)") == f"{pct}%"


def test_monthly_payouts_made_agree_with_the_payout_marts(built):
    wh, _, month, _, results = built
    end = inputs.add_months(month, 1)
    rows = wh.query(f"""
        select currency, sum(amount) from (
            select distinct payout_id, currency, payout_amount as amount from marts.fct_payout_reconciliation_itemized
            where balance_account = 'platform' and payout_status = 'paid'
              and payout_created_at >= date '{month}' and payout_created_at < date '{end}'
            union all
            select payout_id, currency, amount from marts.fct_creator_payouts
            where status = 'paid' and created_at >= date '{month}' and created_at < date '{end}') p
        group by currency order by currency""")
    assert rows
    expected = ", ".join(_money(int(total), cur) for cur, total in rows)
    assert _meta(results[("monthly_report", f"{month:%Y-%m}")], "headline: Payouts made") == expected


def test_monthly_files_csv_pack_and_pdf(built):
    wh, out, month, _, results = built
    meta = results[("monthly_report", f"{month:%Y-%m}")]
    folder = out / "reports" / f"{month:%Y-%m}"
    pdf, html, pack = (folder / f"monthly_report_{month:%Y-%m}.{ext}" for ext in ("pdf", "html", "zip"))
    pack = folder / f"monthly_report_{month:%Y-%m}_tables.zip"
    assert _meta(meta, "pdf") == str(pdf) and _meta(meta, "html") == str(html) and _meta(meta, "csv_pack") == str(pack)
    # the revenue table of the pack: one row per settlement currency, exact major units
    mart = {cur: (g, n) for cur, g, n in wh.query(
        f"select currency, gross_volume, platform_net_revenue from marts.fct_revenue_monthly "
        f"where revenue_month = date '{month}'")}
    with zipfile.ZipFile(pack) as z:
        table = list(csv.DictReader(io.StringIO(z.read("revenue_by_currency.csv").decode())))
        top = list(csv.DictReader(io.StringIO(z.read("top_creators.csv").decode())))
    by_currency = {r["Currency"]: (r["Gross volume"], r["Platform net revenue"]) for r in table}
    consolidated = by_currency.pop("All currencies (USD)")
    assert by_currency == {cur: (str(to_major(g, cur)), str(to_major(n, cur))) for cur, (g, n) in mart.items()}
    gross_usd, net_usd = wh.query(f"select sum(gross_volume_reporting), sum(platform_net_revenue_reporting) "
                                  f"from marts.fct_revenue_monthly where revenue_month = date '{month}'")[0]
    assert consolidated == (str(to_major(gross_usd, "USD")), str(to_major(net_usd, "USD")))
    # top creators ranked by the earnings mart's gross in USD, over every settlement currency
    best = wh.query(f"select creator_account_id, sum(gross_volume_reporting) g from marts.fct_creator_earnings_monthly "
                    f"where month = date '{month}' group by 1 order by g desc, creator_account_id limit 1")[0]
    assert best[0] in json.dumps(top[0]) and str(to_major(int(best[1]), "USD")) in top[0].values()
    assert top[0]["Gross volume (native)"]
    # the PDF: its text carries the headline figure, page 1 rendered is far from blank
    doc = pdfium.PdfDocument(str(pdf))
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert _meta(meta, "headline: Gross volume (consolidated)") in text
    image = doc[0].render(scale=0.5).to_pil().convert("L")
    dark = sum(1 for px in image.getdata() if px < 200)
    assert dark > 0.02 * image.width * image.height
    assert len(doc) >= 2
    # the chart is embedded as an image, and the preview is a markdown table
    assert _meta(meta, "chart").startswith("**") and "data:image/png;base64," in _meta(meta, "chart")
    assert "| Figure | Value |" in _meta(meta, "preview")


def test_monthly_quality_section_shows_the_dbt_tests(built):
    wh, out, month, _, results = built
    from pathlib import Path
    run = json.loads((Path(wh.env["DBT_TARGET_PATH"]) / "run_results.json").read_text())
    tests = [r for r in run["results"] if r["unique_id"].startswith("test.")]
    assert tests
    with zipfile.ZipFile(out / "reports" / f"{month:%Y-%m}" / f"monthly_report_{month:%Y-%m}_tables.zip") as z:
        rows = list(csv.reader(io.StringIO(z.read("data_quality.csv").decode())))
    assert len(rows) - 1 == len(tests)


def test_statements_one_per_creator_and_net_as_the_mart(built):
    wh, out, month, _, results = built
    folder = out / "statements" / f"{month:%Y-%m}"
    creators = wh.query(f"select creator_account_id, currency, net_earnings from marts.fct_creator_statements_monthly "
                        f"where month = date '{month}' order by creator_account_id")
    assert len(creators) > 5
    assert len({c for c, _, _ in creators}) == len(creators)  # one balance currency each in this world
    assert len(list(folder.glob("*.pdf"))) == len(creators) == _meta(results[("creator_statements", f"{month:%Y-%m}")], "statements")
    for account, currency, net in creators:
        rows = {r["item"]: r for r in csv.DictReader((folder / f"statement_{account}_{month:%Y-%m}.csv").open())}
        assert int(rows["Net earnings"]["amount_minor"]) == net, account
        assert rows["Net earnings"]["currency"] == currency
    account, currency, net = creators[0]
    doc = pdfium.PdfDocument(str(folder / f"statement_{account}_{month:%Y-%m}.pdf"))
    assert format_money(net, currency) in doc[0].get_textpage().get_text_range()


def _ledger_balance(wh, account: str, before: date) -> dict[str, int]:
    """The connected account's balance: every balance transaction on it created before `before`."""
    return {cur: int(n) for cur, n in wh.query(
        f"select currency, sum(net) from marts.fct_balance_transactions "
        f"where account_id = '{account}' and created_at < timestamp '{before} 00:00:00' group by 1")}


def test_statement_balance_is_the_connected_accounts_balance_to_the_cent(built):
    """The carried balance drifted when the statement subtracted the real Stripe fee while the
    transfer withheld the list price (and read the platform's USD for a creator paid in, say,
    AUD): now every creator's carried balance is their account's ledger balance, both months."""
    wh, out, month, before, _ = built

    def items(m, account):
        path = out / "statements" / f"{m:%Y-%m}" / f"statement_{account}_{m:%Y-%m}.csv"
        return {r["item"]: (int(r["amount_minor"]), r["currency"]) for r in csv.DictReader(path.open())}

    for m in (before, month):
        accounts = [a for (a,) in wh.query(f"select creator_account_id from marts.fct_creator_statements_monthly "
                                           f"where month = date '{m}'")]
        assert len(accounts) > 5
        for account in accounts:
            got = items(m, account)
            carried, currency = got["Balance carried forward"]
            assert _ledger_balance(wh, account, inputs.add_months(m, 1)) == {currency: carried}, account
            assert got["Previous balance"][0] == _ledger_balance(wh, account, m).get(currency, 0), account
    both = wh.query(f"select a.creator_account_id from marts.fct_creator_statements_monthly a "
                    f"join marts.fct_creator_statements_monthly b on a.creator_account_id = b.creator_account_id "
                    f"where a.month = date '{before}' and b.month = date '{month}' order by 1")
    assert both
    for (account,) in both:
        assert items(before, account)["Balance carried forward"] == items(month, account)["Previous balance"]
    # non-USD accounts are stated in their own currency
    assert {c for (c,) in wh.query(f"select distinct currency from marts.fct_creator_statements_monthly "
                                   f"where month = date '{month}'")} - {"USD"}


def test_annual_report_totals_the_year(built):
    wh, _, month, _, results = built
    meta = results[("annual_report", f"{month.year}")]
    gross = wh.query(f"select sum(gross_volume_reporting) from marts.fct_revenue_monthly "
                     f"where revenue_month >= date '{month.year}-01-01' and revenue_month < date '{month.year + 1}-01-01'")[0][0]
    assert _meta(meta, "headline: Gross volume (consolidated)") == _money(gross)


def test_missing_marts_render_not_available(tmp_path, monkeypatch):
    import duckdb
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    monkeypatch.setenv("CASHBOOK_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "no_target"))
    result = dg.materialize([monthly_report_asset], partition_key="2026-10", instance=dg.DagsterInstance.ephemeral())
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["sections_not_available"].value == 8  # every section but the headlines (n/a there)
    assert meta["headline: Gross volume (consolidated)"].value == "n/a"
    html = (tmp_path / "out" / "reports" / "2026-10" / "monthly_report_2026-10.html").read_text()
    assert "marts.fct_revenue_monthly is not built yet" in html


def test_statement_from_row_turns_signed_mart_amounts_into_deductions():
    row = {"creator_account_id": "acct_1", "creator_name": "Ann", "commission_tier": "premium",
           "commission_rate": Decimal("0.03"), "currency": "AUD", "previous_balance": -500,
           "gross_volume": 100_000, "refunds": -2_000, "disputes": 1_500, "processing_fees": 3_200,
           "commission": 3_000, "bonuses": 1_000, "adjustments": -200, "net_earnings": 94_100,
           "payouts": 91_000, "closing_balance": 2_600, "active_subscribers": 1200}
    s = inputs.statement_from_row(row, date(2026, 10, 1))
    assert (s.gross, s.refunds, s.disputes, s.fees, s.commission, s.bonuses) == (100_000, 2_000, 0, 3_200, 3_000, 1_000)
    # a dispute won back (+15.00) and the other adjustment (-2.00) are itemised adjustments: +13.00
    assert s.adjustments == 1_300 and [line.amount for line in s.lines] == [1_500, -200]
    assert s.payouts == 91_000
    from reports.statements import statement_totals
    totals = statement_totals(s)
    # mart net_earnings = 100000 - 2000 + 1500 - 3200 - 3000 + 1000 - 200 = 94100
    assert totals.net == 94_100
    assert totals.balance_carried_forward == -500 + 94_100 - 91_000 == s.closing_balance


def test_statement_from_row_a_failed_payout_returned_is_an_adjustment():
    row = {"creator_account_id": "acct_1", "creator_name": "Ann", "commission_tier": "standard",
           "commission_rate": Decimal("0.05"), "currency": "EUR", "previous_balance": 0,
           "gross_volume": 0, "refunds": 0, "disputes": 0, "processing_fees": 0, "commission": 0,
           "bonuses": 0, "adjustments": 0, "payouts": -2_500, "closing_balance": 2_500, "active_subscribers": 0}
    s = inputs.statement_from_row(row, date(2026, 10, 1))
    assert (s.payouts, s.adjustments) == (0, 2_500)
    from reports.statements import statement_totals
    assert statement_totals(s).balance_carried_forward == 2_500


def test_forecast_section_reads_the_platform_net_revenue_series(tmp_path):
    """The forecast assets name the series `platform_net_revenue` (in the reporting currency);
    the report looked for a name holding 'usd' and never found one."""
    import duckdb
    db = tmp_path / "f.duckdb"
    with duckdb.connect(str(db)) as c:
        c.execute("create schema finance; create schema marts")
        c.execute("create table finance.revenue_forecast as select * from (values "
                  "('mrr', date '2026-11-01', 5, 4, 6, 3, 7, 'naive'), "
                  "('platform_net_revenue', date '2026-11-01', 1000, 900, 1100, 800, 1200, 'ets')) "
                  "t(series, month, point, lower_80, upper_80, lower_95, upper_95, model)")
        c.execute("create table finance.forecast_backtest as select * from (values "
                  "('platform_net_revenue', 'ets', 1, 0.8, 5.0, 0.8, 0.95, 10)) "
                  "t(series, model, horizon, mase, mape, coverage_80, coverage_95, n_origins)")
        c.execute("create table marts.fct_revenue_monthly as select * from (values "
                  "(date '2026-09-01', 'USD', 400), (date '2026-10-01', 'USD', 500), (date '2026-10-01', 'EUR', 100), "
                  "(date '2026-11-01', 'USD', 7)) t(revenue_month, currency, platform_net_revenue_reporting)")
    got = inputs.forecast(inputs.MartReader(f"duckdb:///{db}"), "USD")
    assert (got.series, got.model, got.points[0].point, got.accuracy[0].mase) == \
        ("platform_net_revenue", "ets", 1000, Decimal("0.8"))
    assert got.history_months == (date(2026, 9, 1), date(2026, 10, 1)) and got.history_values == (400, 600)
