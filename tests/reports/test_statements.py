"""Creator statements: net and the balance carried forward, worked by hand in sample_data."""
from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from reports.model import CreatorStatementData, ReportInputError
from reports.statements import statement_totals
from tests.reports.pdf_bytes import read_pdf
from tests.reports.sample_data import EUR_STATEMENT, JPY_STATEMENT


def test_totals_by_hand():
    # 250000 - 5000 - 1500 - 7550 - 12500 + 2000 = 225450; 10000 + 225450 - 150000 = 85450
    eur = statement_totals(EUR_STATEMENT)
    assert (eur.net, eur.balance_carried_forward) == (225450, 85450)
    # 3735 - 135 - 75 = 3525; -500 + 3525 - 3000 = 25
    jpy = statement_totals(JPY_STATEMENT)
    assert (jpy.net, jpy.balance_carried_forward) == (3525, 25)


def test_a_bigger_payout_carries_a_negative_balance():
    data = replace(JPY_STATEMENT, payouts=4000)
    assert statement_totals(data).balance_carried_forward == -500 + 3525 - 4000 == -975


def test_pdf_shows_every_line(statement_files):
    pages = read_pdf(statement_files["statement_acct_alice_2026-10.pdf"].read_bytes())
    text = "\n".join(p.text for p in pages)
    for figure in ["100.00 EUR", "2,500.00 EUR", "-50.00 EUR", "-15.00 EUR", "-75.50 EUR", "-125.00 EUR",
                   "20.00 EUR", "2,254.50 EUR", "-1,500.00 EUR", "854.50 EUR",
                   "Platform commission (standard tier, 5.00%)", "Alice Draws", "acct_alice",
                   "1,000.00 EUR", "Payout po_2"]:
        assert figure in text, figure
    assert "Page 1 of 1" in text and "October 2026 (2026-10)" in text


def test_jpy_pdf_has_no_decimals(statement_files):
    text = "\n".join(p.text for p in read_pdf(statement_files["statement_acct_kenji_2026-10.pdf"].read_bytes()))
    for figure in ["-500 JPY", "3,735 JPY", "-135 JPY", "-75 JPY", "3,525 JPY", "-3,000 JPY", "25 JPY"]:
        assert figure in text, figure
    assert "premium tier, 2.00%" in text


def test_csv_lines(statement_files):
    rows = list(csv.DictReader(io.StringIO(statement_files["statement_acct_alice_2026-10.csv"].read_text())))
    by_item = {r["item"]: r for r in rows}
    assert by_item["Net earnings"]["amount"] == "2254.50" and by_item["Net earnings"]["amount_minor"] == "225450"
    assert by_item["Balance carried forward"]["amount"] == "854.50"
    assert by_item["Refunds"]["amount"] == "-50.00"
    assert {r["currency"] for r in rows} == {"EUR"} and {r["month"] for r in rows} == {"2026-10"}
    # the signed lines between the balances add up to the carried balance
    body = [int(r["amount_minor"]) for r in rows if r["item"] not in ("Net earnings", "Balance carried forward")]
    assert sum(body) == 85450
    jpy = list(csv.DictReader(io.StringIO(statement_files["statement_acct_kenji_2026-10.csv"].read_text())))
    assert jpy[-1]["amount"] == "25" and jpy[0]["amount"] == "-500"


def test_negative_deduction_is_refused_with_its_field():
    with pytest.raises(ReportInputError, match=r"CreatorStatementData.refunds.*acct_alice"):
        replace(EUR_STATEMENT, refunds=-5000)


def test_float_money_is_refused():
    with pytest.raises(ReportInputError, match=r"CreatorStatementData.gross: money must be integer"):
        CreatorStatementData("acct_x", "X", "standard", EUR_STATEMENT.month, "EUR", gross=12.5)


def test_adjustments_move_net_and_show_as_their_own_line():
    # a dispute won back (+15.00) and a failed payout returned (+25.00), as the mart itemises them:
    # 250000 - 5000 - 1500 - 7550 - 12500 + 2000 + 4000 = 229450; 10000 + 229450 - 150000 = 89450
    data = replace(EUR_STATEMENT, adjustments=4000)
    totals = statement_totals(data)
    assert (totals.net, totals.balance_carried_forward) == (229450, 89450)
    from reports.statements import statement_csv
    rows = list(csv.DictReader(io.StringIO(statement_csv(data))))
    assert [r["item"] for r in rows][-4:] == ["Other adjustments", "Net earnings", "Payouts", "Balance carried forward"]
    assert rows[-4]["amount"] == "40.00"
    assert "Other adjustments" not in statement_csv(EUR_STATEMENT)


def test_top_creators_rank_every_currency_and_show_native_amounts():
    from reports.model import TopCreator
    from reports.sections import top_creators_section
    rows = [TopCreator("acct_eu", "Eu", "standard", "USD", 21000, 1050, 18000, 5,
                       gross_volume_native=(("EUR", 15000), ("USD", 4600))),
            TopCreator("acct_us", "Us", "standard", "USD", 20000, 1000, 17000, 5, gross_volume_native=(("USD", 20000),))]
    table = top_creators_section(rows, "USD").tables[0]
    assert [r[2] for r in table.rows] == ["acct_eu", "acct_us"]
    assert table.rows[0][-1] == "150.00 EUR + 46.00 USD" and table.rows[1][-1] == "200.00 USD"
    with pytest.raises(ReportInputError, match="gross_volume_native"):
        TopCreator("acct_x", "X", "standard", "USD", 1, 0, 1, gross_volume_native=(("EUR", 1.5),))
