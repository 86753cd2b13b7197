"""MRR and its movements and metrics on a hand-built book of subscriptions (DESIGN section 9).

Nine customers, January to May 2026, one rule each (see `BOOK`); every expected figure below is
worked out by hand in the comments. A second, independent computation of MRR straight from the raw
invoice JSON in Python (`mrr_from_raw_invoices`, exact fractions) must agree with marts.fct_mrr
row for row. dbt builds once per module.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from tests.dbt.conftest import make_duck_warehouse, make_pg_warehouse, run_dbt
from tests.dbt.raw_loader import insert_objects, stripe_fixture

MY_MODELS = "+int_subscriptions__active_subscribers_monthly +fct_mrr +fct_mrr_movements +subscription_metrics_monthly +subscription_metrics_monthly_by_creator +cohort_retention"
CREATOR_A, CREATOR_B = "acct_creatorA", "acct_creatorB"


def ts(day: str) -> int:
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp())


# --- hand-built Stripe objects (current API shape unless `legacy`) -----------------------------

PRICES = {
    # price id: (unit_amount, currency, interval, interval_count)
    "price_fan_m": (1500, "usd", "month", 1),
    "price_superfan_m": (3000, "usd", "month", 1),
    "price_supporter_m": (500, "usd", "month", 1),
    "price_supporter_w": (500, "usd", "week", 1),
    "price_quarter": (4000, "usd", "month", 3),
    "price_vip_y_eur": (50000, "eur", "year", 1),
    "price_vip_m": (3000, "usd", "month", 1),
}


def make_price(price_id: str) -> dict:
    unit, currency, interval, count = PRICES[price_id]
    p = stripe_fixture("price")
    p.update(id=price_id, currency=currency, unit_amount=unit, unit_amount_decimal=str(unit),
             product="prod_" + price_id, created=ts("2025-12-01"))
    p["recurring"].update(interval=interval, interval_count=count)
    return p


def make_line(line_id, invoice_id, sub, price, start, end, amount, *, qty=1, discount=0,
              taxes=(), proration=False, legacy=False):
    """taxes: (amount, inclusive) pairs."""
    currency = PRICES[price][1]
    if legacy:  # pre-2025-03-31.basil shape
        unit, _, interval, count = PRICES[price]
        return {
            "id": line_id, "object": "line_item", "amount": amount, "currency": currency,
            "type": "invoiceitem" if proration else "subscription", "proration": proration,
            "subscription": sub, "subscription_item": "si_" + sub,
            "price": {"id": price, "object": "price", "product": "prod_" + price, "unit_amount": unit,
                      "recurring": {"interval": interval, "interval_count": count}},
            "plan": {"id": price, "interval": interval, "interval_count": count},
            "period": {"start": ts(start), "end": ts(end)}, "quantity": qty,
            "discount_amounts": [{"amount": discount, "discount": "di_1"}] if discount else [],
            "tax_amounts": [{"amount": a, "inclusive": inc, "tax_rate": "txr_1"} for a, inc in taxes],
        }
    if proration:
        parent = {"type": "invoice_item_details", "subscription_item_details": None,
                  "invoice_item_details": {"invoice_item": "ii_" + line_id, "proration": True,
                                           "proration_details": {"credited_items": None},
                                           "subscription": sub}}
    else:
        parent = {"type": "subscription_item_details", "invoice_item_details": None,
                  "subscription_item_details": {"invoice_item": None, "proration": False,
                                                "proration_details": {"credited_items": None},
                                                "subscription": sub, "subscription_item": "si_" + sub}}
    return {
        "id": line_id, "object": "line_item", "amount": amount, "currency": currency,
        "description": None, "discountable": not proration, "discounts": [],
        "discount_amounts": [{"amount": discount, "discount": "di_1"}] if discount else [],
        "invoice": invoice_id, "livemode": False, "metadata": {}, "parent": parent,
        "period": {"start": ts(start), "end": ts(end)},
        "pricing": {"type": "price_details", "unit_amount_decimal": str(PRICES[price][0]),
                    "price_details": {"price": price, "product": "prod_" + price}},
        "quantity": qty, "subtotal": amount, "pretax_credit_amounts": [],
        "taxes": [{"amount": a, "tax_behavior": "inclusive" if inc else "exclusive",
                   "taxable_amount": amount, "taxability_reason": "standard_rated",
                   "type": "tax_rate_details", "tax_rate_details": {"tax_rate": "txr_1"}}
                  for a, inc in taxes],
    }


def make_invoice(invoice_id, customer, sub, creator, created, lines, *, status="paid",
                 attempt_count=1, legacy=False):
    inv = stripe_fixture("invoice")
    currency = lines[0]["currency"]
    total = sum(l["amount"] for l in lines)
    inv.update(id=invoice_id, customer=customer, created=ts(created), currency=currency,
               status=status, billing_reason="subscription_cycle", attempt_count=attempt_count,
               amount_paid=total if status == "paid" else 0, amount_due=total,
               lines={"object": "list", "data": lines, "has_more": False},
               transfer_data={"destination": creator, "amount": None},
               total_taxes=[], total_discount_amounts=[])
    inv["status_transitions"] = {"finalized_at": ts(created), "paid_at": ts(created) if status == "paid" else None,
                                 "voided_at": None, "marked_uncollectible_at": None}
    if legacy:
        inv.pop("parent", None)
        inv["subscription"] = sub
    else:
        inv["parent"] = {"type": "subscription_details", "quote_details": None,
                         "subscription_details": {"subscription": sub, "metadata": {}}}
    return inv


def make_subscription(sub, customer, creator, price, created, *, trial_end=None, status="active"):
    s = stripe_fixture("subscription")
    s.update(id=sub, customer=customer, created=ts(created), status=status, currency=PRICES[price][1],
             trial_start=ts(created) if trial_end else None, trial_end=ts(trial_end) if trial_end else None,
             cancel_at=None, canceled_at=None, ended_at=None, pause_collection=None, cancel_at_period_end=False,
             transfer_data={"amount_percent": None, "destination": creator})
    s["items"]["data"][0].update(id="si_" + sub, subscription=sub, price=make_price(price))
    return s


MONTH_STARTS = ["2026-01-%s", "2026-02-%s", "2026-03-%s", "2026-04-%s", "2026-05-%s", "2026-06-%s"]


def monthly(customer, sub, creator, price, day, months, amount, **line_kw):
    """One invoice per month on `day` for the given month indexes (0 = January)."""
    out = []
    for m in months:
        start, end = MONTH_STARTS[m] % day, MONTH_STARTS[m + 1] % day
        iid = f"in_{sub}_{m}"
        kw = {k: (v(m) if callable(v) else v) for k, v in line_kw.items()}
        legacy = kw.pop("legacy", False)
        out.append(make_invoice(iid, customer, sub, creator, start,
                                [make_line(f"il_{sub}_{m}", iid, sub, price, start, end, amount, legacy=legacy, **kw)],
                                legacy=legacy))
    return out


def build_book() -> dict[str, list[dict]]:
    invoices: list[dict] = []
    # C1 tax excluded: Fan 1500/month + 285 exclusive VAT, Jan..May 10th -> MRR 1500 each month.
    invoices += monthly("cus_1", "sub_1", CREATOR_A, "price_fan_m", "10", range(5), 1500, taxes=[(285, False)])
    # C2 annual in EUR: 50000 for [Jan 15 2026, Jan 15 2027) -> 50000/12 = 4166.67 -> 4167 EUR cents.
    invoices.append(make_invoice("in_sub_2_0", "cus_2", "sub_2", CREATOR_A, "2026-01-15",
                                 [make_line("il_sub_2_0", "in_sub_2_0", "sub_2", "price_vip_y_eur",
                                            "2026-01-15", "2027-01-15", 50000)]))
    # C3 weekly 500 from Feb 2, last week [Apr 27, May 4): 500*52/12 = 2166.67 -> 2167 Feb..Apr; May churn.
    week = ts("2026-02-02")
    for i in range(13):
        s, e = week + i * 7 * 86400, week + (i + 1) * 7 * 86400
        sd, ed = (datetime.fromtimestamp(x, timezone.utc).strftime("%Y-%m-%d") for x in (s, e))
        invoices.append(make_invoice(f"in_sub_3_{i}", "cus_3", "sub_3", CREATOR_B, sd,
                                     [make_line(f"il_sub_3_{i}", f"in_sub_3_{i}", "sub_3", "price_supporter_w", sd, ed, 500)]))
    # C4 quarterly 4000 [Jan 5, Apr 5) -> 4000/3 = 1333.33 -> 1333 Jan..Mar; renewal Apr 5 voided: churn in April.
    invoices.append(make_invoice("in_sub_4_0", "cus_4", "sub_4", CREATOR_B, "2026-01-05",
                                 [make_line("il_sub_4_0", "in_sub_4_0", "sub_4", "price_quarter", "2026-01-05", "2026-04-05", 4000)]))
    invoices.append(make_invoice("in_sub_4_1", "cus_4", "sub_4", CREATOR_B, "2026-04-05",
                                 [make_line("il_sub_4_1", "in_sub_4_1", "sub_4", "price_quarter", "2026-04-05", "2026-07-05", 4000)],
                                 status="void", attempt_count=4))
    # C5 trial then a 50% coupon for two months: Jan 0 (trial), Feb 750 new, Mar 750, Apr 1500 expansion, May 1500.
    invoices.append(make_invoice("in_sub_5_t", "cus_5", "sub_5", CREATOR_A, "2026-01-20",
                                 [make_line("il_sub_5_t", "in_sub_5_t", "sub_5", "price_fan_m", "2026-01-20", "2026-02-20", 0)]))
    invoices += monthly("cus_5", "sub_5", CREATOR_A, "price_fan_m", "20", range(1, 5), 1500,
                        discount=lambda m: 750 if m in (1, 2) else 0)
    # C6 upgrade Fan -> Superfan on Feb 15 (half of [Feb 1, Mar 1)), prorated: credit -750, charge +1500;
    # Feb MRR = 1500 - 750*(1500/750) + 1500*(3000/1500) = 3000. Downgrade to Supporter 500 from Apr 1.
    invoices += monthly("cus_6", "sub_6", CREATOR_A, "price_fan_m", "01", range(2), 1500)
    invoices.append(make_invoice("in_sub_6_up", "cus_6", "sub_6", CREATOR_A, "2026-02-15", [
        make_line("il_sub_6_cr", "in_sub_6_up", "sub_6", "price_fan_m", "2026-02-15", "2026-03-01", -750, proration=True),
        make_line("il_sub_6_ch", "in_sub_6_up", "sub_6", "price_superfan_m", "2026-02-15", "2026-03-01", 1500, proration=True),
    ]))
    invoices += monthly("cus_6", "sub_6", CREATOR_A, "price_superfan_m", "01", [2], 3000)
    invoices += monthly("cus_6", "sub_6", CREATOR_A, "price_supporter_m", "01", [3, 4], 500)
    # C7 reactivation: Jan 3 paid, nothing in February (churn), back Mar 3 (reactivation), Apr, May.
    invoices += monthly("cus_7", "sub_7", CREATOR_B, "price_fan_m", "03", [0, 2, 3, 4], 1500)
    # C8 partial cancel: quantity 2 (3000) Jan, Feb; quantity 1 (1500) from Mar 8: contraction in March.
    invoices += monthly("cus_8", "sub_8", CREATOR_B, "price_fan_m", "08", [0, 1], 3000, qty=2)
    invoices += monthly("cus_8", "sub_8", CREATOR_B, "price_fan_m", "08", [2, 3, 4], 1500)
    # C9 forever 10% off, legacy API shape, inclusive tax 270 inside the 3000: MRR = 3000-300-270 = 2430.
    invoices += monthly("cus_9", "sub_9", CREATOR_A, "price_vip_m", "12", range(5), 3000,
                        discount=300, taxes=[(270, True)], legacy=True)
    subscriptions = [
        make_subscription("sub_1", "cus_1", CREATOR_A, "price_fan_m", "2026-01-10"),
        make_subscription("sub_2", "cus_2", CREATOR_A, "price_vip_y_eur", "2026-01-15"),
        make_subscription("sub_3", "cus_3", CREATOR_B, "price_supporter_w", "2026-02-02", status="canceled"),
        make_subscription("sub_4", "cus_4", CREATOR_B, "price_quarter", "2026-01-05", status="canceled"),
        make_subscription("sub_5", "cus_5", CREATOR_A, "price_fan_m", "2026-01-20", trial_end="2026-02-20"),
        make_subscription("sub_6", "cus_6", CREATOR_A, "price_supporter_m", "2026-01-01"),
        make_subscription("sub_7", "cus_7", CREATOR_B, "price_fan_m", "2026-01-03"),
        make_subscription("sub_8", "cus_8", CREATOR_B, "price_fan_m", "2026-01-08"),
        make_subscription("sub_9", "cus_9", CREATOR_A, "price_vip_m", "2026-01-12"),
    ]
    return {"invoice": invoices, "subscription": subscriptions,
            "price": [make_price(p) for p in PRICES]}


# USD per EUR on ECB business days; weekends carry the last rate forward.
ECB_USD = {"2026-01-30": "1.10", "2026-02-27": "1.12", "2026-03-31": "1.08", "2026-04-30": "1.10",
           "2026-05-20": "1.15"}


# --- an independent MRR computation from the raw JSON ------------------------------------------

def _month_factor(interval: str, count: int) -> Fraction:
    return {"month": Fraction(1, count), "year": Fraction(1, 12 * count),
            "week": Fraction(52, 12 * count), "day": Fraction(365, 12 * count)}[interval]


def mrr_from_raw_invoices(invoices: list[dict], prices: dict[str, dict],
                          subscriptions: dict[str, dict]) -> dict[tuple, int]:
    """(month, customer, creator, subscription, CURRENCY) -> MRR in minor units, DESIGN section 9."""
    as_of = max(inv["created"] for inv in invoices)
    first = min(inv["created"] for inv in invoices)
    y, m = datetime.fromtimestamp(first, timezone.utc).year, datetime.fromtimestamp(first, timezone.utc).month
    months = []
    while True:
        start = datetime(y, m, 1, tzinfo=timezone.utc)
        if start.timestamp() > as_of:
            break
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        end = int(datetime(ny, nm, 1, tzinfo=timezone.utc).timestamp())
        months.append((start.date(), end if end <= as_of else as_of + 1))
        y, m = ny, nm
    lines = []
    for inv in invoices:
        if inv["status"] not in ("paid", "open"):
            continue
        for line in inv["lines"]["data"]:
            parent = line.get("parent") or {}
            if parent:
                details = parent.get(parent["type"]) or {}
                proration = bool(details.get("proration"))
                sub = details.get("subscription")
                is_sub_line = parent["type"] == "subscription_item_details" or proration
                price_id = line["pricing"]["price_details"]["price"]
                taxes = [(t["amount"], t["tax_behavior"] == "inclusive") for t in line.get("taxes") or []]
            else:
                proration = bool(line.get("proration"))
                sub = line.get("subscription")
                is_sub_line = line["type"] == "subscription" or proration
                price_id = line["price"]["id"]
                taxes = [(t["amount"], t["inclusive"]) for t in line.get("tax_amounts") or []]
            if not sub or not is_sub_line:
                continue
            price = prices[price_id]
            net = line["amount"] - sum(d["amount"] for d in line.get("discount_amounts") or []) \
                - sum(a for a, inclusive in taxes if inclusive)
            monthly_value = Fraction(net) * _month_factor(price["recurring"]["interval"],
                                                          price["recurring"]["interval_count"])
            if proration and line["amount"] != 0:
                monthly_value *= Fraction(price["unit_amount"] * line["quantity"], abs(line["amount"]))
            creator = (inv.get("transfer_data") or {}).get("destination") or \
                subscriptions[sub]["transfer_data"]["destination"]
            lines.append((line["period"]["start"], line["period"]["end"],
                          (inv["customer"], creator, sub, line["currency"].upper()), monthly_value,
                          price_id, proration and monthly_value < 0))
    sums: dict[tuple, Fraction] = {}
    for month, snapshot in months:
        covering = [ln for ln in lines if ln[0] < snapshot <= ln[1]]
        for start, end, key, value, price_id, is_credit in covering:
            # a proration credit reverses the line that billed its price for the period: it counts
            # only when such a line (not a credit, started before it) counts at the same moment
            if is_credit and not any(o[2][2] == key[2] and o[4] == price_id and not o[5] and o[0] < start
                                     for o in covering):
                continue
            sums[(month,) + key] = sums.get((month,) + key, Fraction(0)) + value
    return {k: int((Decimal(v.numerator) / Decimal(v.denominator)).quantize(Decimal(1), ROUND_HALF_UP))
            for k, v in sums.items()}


# --- the warehouse, built once ----------------------------------------------------------------

def _load(wh, book, ecb_usd=ECB_USD):
    conn = wh.connect()
    try:
        for table, objs in book.items():
            insert_objects(conn, table, objs)
        cur = conn.cursor()
        cur.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
        cur.execute("CREATE TABLE raw_fx.ecb_rates (rate_date DATE, currency TEXT, rate DECIMAL(18, 6))")
        for day, rate in ecb_usd.items():
            cur.execute(f"INSERT INTO raw_fx.ecb_rates VALUES ('{day}', 'USD', {rate})")
            cur.execute(f"INSERT INTO raw_fx.ecb_rates VALUES ('{day}', 'GBP', 0.85)")
    finally:
        conn.close()


def _warehouse(kind: str, tmp_path_factory, pg_name: str):
    """An empty warehouse of `kind` for a module's book (PostgreSQL: database `pg_name`)."""
    if kind == "duckdb":
        return make_duck_warehouse(tmp_path_factory.mktemp(pg_name + "_duck"))
    return make_pg_warehouse(pg_name, tmp_path_factory.mktemp(pg_name + "_pg") / "dbt_target")


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def book_wh(request, tmp_path_factory):
    book = build_book()
    wh = _warehouse(request.param, tmp_path_factory, "cb_t_subscriptions_mrr")
    _load(wh, book)
    # one dbt invocation (each costs a full parse): seed, models, their data tests and unit tests
    run_dbt(wh.env, "build", "--select", "currencies " + MY_MODELS, "--indirect-selection", "cautious")
    wh.book = book
    return wh


def _mrr(wh, customer):
    rows = wh.query(f"select month, sum(mrr) from marts.fct_mrr where customer_id = '{customer}' "
                    "group by month order by month")
    return {str(m)[:7]: int(v) for m, v in rows}


def test_mrr_rules_worked_by_hand(book_wh):
    # tax excluded: 1500 + 285 VAT -> 1500
    assert _mrr(book_wh, "cus_1") == {"2026-01": 1500, "2026-02": 1500, "2026-03": 1500, "2026-04": 1500, "2026-05": 1500}
    # annual: 50000 / 12 = 4166.67 -> 4167 (EUR cents), every month of the year paid
    assert set(_mrr(book_wh, "cus_2").values()) == {4167} and len(_mrr(book_wh, "cus_2")) == 5
    # weekly: 500 * 52 / 12 = 2166.67 -> 2167; last week ends May 4 -> not in May
    assert _mrr(book_wh, "cus_3") == {"2026-02": 2167, "2026-03": 2167, "2026-04": 2167}
    # quarterly: 4000 / 3 = 1333.33 -> 1333; the void renewal does not count
    assert _mrr(book_wh, "cus_4") == {"2026-01": 1333, "2026-02": 1333, "2026-03": 1333}
    # trial 0, then a 50% temporary coupon, then full price
    assert _mrr(book_wh, "cus_5") == {"2026-01": 0, "2026-02": 750, "2026-03": 750, "2026-04": 1500, "2026-05": 1500}
    # upgrade by proration mid-February, downgrade at the April renewal
    assert _mrr(book_wh, "cus_6") == {"2026-01": 1500, "2026-02": 3000, "2026-03": 3000, "2026-04": 500, "2026-05": 500}
    # gap in February, back in March
    assert _mrr(book_wh, "cus_7") == {"2026-01": 1500, "2026-03": 1500, "2026-04": 1500, "2026-05": 1500}
    # partial cancel: quantity 2 -> 1
    assert _mrr(book_wh, "cus_8") == {"2026-01": 3000, "2026-02": 3000, "2026-03": 1500, "2026-04": 1500, "2026-05": 1500}
    # forever discount, inclusive tax, legacy line shape: 3000 - 300 - 270
    assert set(_mrr(book_wh, "cus_9").values()) == {2430}


def test_fct_mrr_matches_python_from_raw_json(book_wh):
    book = book_wh.book
    prices = {p["id"]: p for p in book["price"]}
    subs = {s["id"]: s for s in book["subscription"]}
    expected = mrr_from_raw_invoices(book["invoice"], prices, subs)
    rows = book_wh.query("select month, customer_id, creator_account_id, subscription_id, currency, mrr from marts.fct_mrr")
    got = {(m if not hasattr(m, "date") else m.date(), c, cr, s, cur): int(v) for m, c, cr, s, cur, v in rows}
    assert got == expected
    assert len(got) == 40


def _moves(wh, view="platform"):
    rows = wh.query(f"select month, customer_id, creator_account_id, movement_type, mrr_change, mrr_change_reporting "
                    f"from marts.fct_mrr_movements where mrr_view = '{view}' order by 1, 2, 4")
    return [(str(m)[:7], c, cr, t, int(n), None if r is None else int(r)) for m, c, cr, t, n, r in rows]


def test_movements_classified_first_match_wins(book_wh):
    moves = _moves(book_wh)
    by = {(m, c, t): (n, r) for m, c, _, t, n, r in moves}
    assert by[("2026-01", "cus_1", "new")] == (1500, 1500)
    assert by[("2026-02", "cus_5", "new")] == (750, 750)          # the trial month is not paid
    assert by[("2026-04", "cus_5", "expansion")] == (750, 750)    # the coupon ended
    assert by[("2026-02", "cus_6", "expansion")] == (1500, 1500)  # upgrade
    assert by[("2026-04", "cus_6", "contraction")] == (-2500, -2500)  # downgrade
    assert by[("2026-02", "cus_7", "churn")] == (-1500, -1500)
    assert by[("2026-03", "cus_7", "reactivation")] == (1500, 1500)
    assert by[("2026-03", "cus_8", "contraction")] == (-1500, -1500)
    assert by[("2026-04", "cus_4", "churn")] == (-1333, -1333)    # churn when the last paid period ends
    assert by[("2026-05", "cus_3", "churn")] == (-2167, -2167)
    # EUR: new in January at 1.10 USD/EUR: 4167 * 1.10 = 4583.7 -> 4584 US cents;
    # February at 1.12 (Jan 31 is a Saturday: Jan 30's rate; Feb 28 a Saturday: Feb 27's):
    # 4167 * 1.12 = 4667.04 -> 4667; the whole change is fx: 4667 - 4584 = 83.
    assert by[("2026-01", "cus_2", "new")] == (4167, 4584)
    assert by[("2026-02", "cus_2", "fx")] == (0, 83)
    assert not any(c == "cus_2" and t != "fx" for m, c, _, t, n, r in moves if m != "2026-01")
    assert ("2026-01", "cus_5", "new") not in by


def test_movements_reconcile_with_mrr_in_both_views(book_wh):
    for view in ("platform", "creator"):
        bad = book_wh.query(f"""
            with totals as (
                select month, sum(mrr_reporting) as mrr from intermediate.int_subscriptions__mrr_accounts_monthly
                where mrr_view = '{view}' group by month),
            moves as (
                select month, sum(mrr_change_reporting) as moved from marts.fct_mrr_movements
                where mrr_view = '{view}' group by month)
            select totals.month from totals
            left join totals as prev on prev.month = cast(totals.month - interval '1 month' as date)
            left join moves on moves.month = totals.month
            where totals.mrr - coalesce(prev.mrr, 0) <> coalesce(moves.moved, 0)""")
        assert bad == []


def _metrics(wh, month):
    cur = wh.query(f"select * from marts.subscription_metrics_monthly where month = date '{month}'")
    cols = [r[0] for r in wh.query(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'subscription_metrics_monthly' order by ordinal_position")]
    return dict(zip(cols, cur[0]))


def test_metrics_worked_by_hand(book_wh):
    # March: paying cus_1 1500, cus_2 4167 EUR @1.08 = 4500.36 -> 4500, cus_3 2167, cus_4 1333,
    # cus_5 750, cus_6 3000, cus_7 1500, cus_8 1500, cus_9 2430 -> MRR 18680 USD cents, 9 customers.
    mar = _metrics(book_wh, "2026-03-01")
    assert mar["mrr_reporting"] == 18680 and mar["arr_reporting"] == 12 * 18680
    assert mar["paying_customers"] == 9
    # February end: cus_1 1500, cus_2 4667, cus_3 2167, cus_4 1333, cus_5 750, cus_6 3000, cus_8 3000,
    # cus_9 2430 = 18847 over 8 customers (cus_7 churned).
    assert mar["start_mrr_reporting"] == 18847 and mar["customers_at_start"] == 8
    # movements: reactivation cus_7 +1500; contraction cus_8 -1500; fx cus_2 4167*(1.08-1.12) -> 4500-4667 = -167
    assert (mar["reactivation_mrr_reporting"], mar["contraction_mrr_reporting"], mar["fx_mrr_reporting"]) == (1500, 1500, -167)
    assert (mar["new_mrr_reporting"], mar["expansion_mrr_reporting"], mar["churn_mrr_reporting"]) == (0, 0, 0)
    assert 18847 + 1500 - 1500 - 167 == 18680
    assert mar["customer_churn_rate"] == 0
    # gross MRR churn = (0 + 1500) / 18847; net = (1500 - 0 - 1500) / 18847 = 0; NRR = 1
    assert mar["gross_mrr_churn_rate"] == Decimal("0.079588263384")
    assert mar["net_mrr_churn_rate"] == 0 and mar["net_revenue_retention"] == 1
    # quick ratio = (0 + 0 + 1500) / (0 + 1500) = 1; ARPA = 18680 / 9 = 2075.56 -> 2076
    assert mar["quick_ratio"] == 1 and mar["arpa_reporting"] == 2076
    # LTV: of the full months Jan..Mar, January has nobody at start (no rate); February 1/7 (cus_7 of
    # 7 at start), March 0 -> mean 1/14; LTV = 2075.5556 * 14 = 29057.78 -> 29058
    assert mar["ltv_churn_months"] == 2 and mar["ltv_reporting"] == 29058
    # May is still running: the snapshot is taken just after the newest invoice (May 20), so renewals
    # not yet due do not churn. cus_1 1500 + cus_2 4167*1.15 (4792.05 -> 4792) + cus_5 1500 + cus_6 500
    # + cus_7 1500 + cus_8 1500 + cus_9 2430 = 13722; cus_3's last week ended May 4: churn 2167.
    may = _metrics(book_wh, "2026-05-01")
    assert (may["mrr_reporting"], may["churn_mrr_reporting"], may["is_month_complete"]) == (13722, 2167, False)
    feb = _metrics(book_wh, "2026-02-01")
    assert feb["customer_churn_rate"] == Decimal("0.142857142857")
    assert feb["trials_ended"] == 1 and feb["trial_conversions"] == 1


def test_metrics_by_creator_and_active_subscribers(book_wh):
    rows = book_wh.query("select creator_account_id, month, active_subscribers from "
                         "intermediate.int_subscriptions__active_subscribers_monthly order by 1, 2")
    counts = {(c, str(m)[:7]): n for c, m, n in rows}
    # Start of March = end of February: creator A pays from cus_1, cus_2, cus_5, cus_6, cus_9 (5);
    # creator B from cus_3, cus_4, cus_8 (cus_7 had lapsed) = 3. Start of January: nobody yet.
    assert counts[(CREATOR_A, "2026-03")] == 5 and counts[(CREATOR_B, "2026-03")] == 3
    assert counts[(CREATOR_A, "2026-01")] == 0
    b_apr = book_wh.query(f"select mrr_reporting, churned_customers, customers_at_start, customer_churn_rate "
                          f"from marts.subscription_metrics_monthly_by_creator "
                          f"where creator_account_id = '{CREATOR_B}' and month = date '2026-04-01'")[0]
    # Creator B in April: cus_3 2167 + cus_7 1500 + cus_8 1500 = 5167; cus_4 churned of 4 at start.
    assert (b_apr[0], b_apr[1], b_apr[2], b_apr[3]) == (5167, 1, 4, Decimal("0.25"))


def test_cohort_retention(book_wh):
    rows = book_wh.query("select cohort_month, month, cohort_customers, retained_customers, logo_retention, "
                         "cohort_new_mrr_reporting, mrr_reporting, revenue_retention from marts.cohort_retention "
                         "where cohort_month = date '2026-01-01' order by month")
    jan = {str(r[1])[:7]: r for r in rows}
    # January cohort: cus_1, 2, 4, 6, 7, 8, 9 (cus_5 in trial): 7 customers,
    # new MRR 1500 + 4584 + 1333 + 1500 + 1500 + 3000 + 2430 = 15847.
    assert jan["2026-01"][2] == 7 and jan["2026-01"][5] == 15847
    # April: cus_4 and (not) cus_7... retained: cus_1, 2, 6, 7, 8, 9 = 6 of 7;
    # MRR 1500 + 4167*1.10 (4584) + 500 + 1500 + 1500 + 2430 = 12014 -> 12014 / 15847
    assert jan["2026-04"][3] == 6 and jan["2026-04"][4] == Decimal("0.857142857143")
    assert jan["2026-04"][6] == 12014
    assert jan["2026-04"][7] == Decimal("0.758124566164")


# --- a proration credit whose credited period was never billed (its invoice void) ----------------
# The demo world's sub_6t0qCkbX0TPeW08QW6p9b3gT had MRR -1,500 in November 2025: its renewal of
# [Nov 15, Dec 15) was voided (renewed while past due), it was downgraded Superfan -> Fan on Nov 28
# and the prorations came on the paid Dec 15 invoice. A credit reverses only a line that counts.

def build_void_credit_book() -> dict[str, list[dict]]:
    invoices: list[dict] = []
    # cus_v, Superfan 3000 on the 15th: Sep and Oct paid, the Nov 15 renewal void; downgraded to Fan
    # on Nov 28 (17 of the period's 30 days left): credit -1700 of 3000 -> -3000, charge 850 of 1500
    # -> 1500, on the Dec 15 invoice with the Fan renewal. Nov: 1500 (was -3000 + 1500 = -1500).
    for m, (start, end, status) in enumerate([("2025-09-15", "2025-10-15", "paid"), ("2025-10-15", "2025-11-15", "paid"),
                                             ("2025-11-15", "2025-12-15", "void")]):
        iid = f"in_v_{m}"
        invoices.append(make_invoice(iid, "cus_v", "sub_v", CREATOR_A, start,
                                     [make_line(f"il_v_{m}", iid, "sub_v", "price_superfan_m", start, end, 3000)],
                                     status=status))
    invoices.append(make_invoice("in_v_3", "cus_v", "sub_v", CREATOR_A, "2025-12-15", [
        make_line("il_v_cr", "in_v_3", "sub_v", "price_superfan_m", "2025-11-28", "2025-12-15", -1700, proration=True),
        make_line("il_v_ch", "in_v_3", "sub_v", "price_fan_m", "2025-11-28", "2025-12-15", 850, proration=True),
        make_line("il_v_3", "in_v_3", "sub_v", "price_fan_m", "2025-12-15", "2026-01-15", 1500),
    ]))
    invoices += [make_invoice("in_v_4", "cus_v", "sub_v", CREATOR_A, "2026-01-15",
                              [make_line("il_v_4", "in_v_4", "sub_v", "price_fan_m", "2026-01-15", "2026-02-15", 1500)])]
    # cus_p, Fan 1500 on the 2nd: Sep paid, the Oct 2 renewal void (paused), upgraded to Superfan on
    # Oct 6 (27 of 31 days left): credit -1306 of 1500 -> -1500, charge 2613 of 3000 -> 3000, paid
    # at once. Oct: 3000 (was 1500, the upgrade showed a month late as expansion).
    invoices.append(make_invoice("in_p_0", "cus_p", "sub_p", CREATOR_B, "2025-09-02",
                                 [make_line("il_p_0", "in_p_0", "sub_p", "price_fan_m", "2025-09-02", "2025-10-02", 1500)]))
    invoices.append(make_invoice("in_p_1", "cus_p", "sub_p", CREATOR_B, "2025-10-02",
                                 [make_line("il_p_1", "in_p_1", "sub_p", "price_fan_m", "2025-10-02", "2025-11-02", 1500)],
                                 status="void"))
    invoices.append(make_invoice("in_p_up", "cus_p", "sub_p", CREATOR_B, "2025-10-06", [
        make_line("il_p_cr", "in_p_up", "sub_p", "price_fan_m", "2025-10-06", "2025-11-02", -1306, proration=True),
        make_line("il_p_ch", "in_p_up", "sub_p", "price_superfan_m", "2025-10-06", "2025-11-02", 2613, proration=True),
    ]))
    for m, (start, end) in enumerate([("2025-11-02", "2025-12-02"), ("2025-12-02", "2026-01-02"), ("2026-01-02", "2026-02-02")]):
        iid = f"in_p_{m + 2}"
        invoices.append(make_invoice(iid, "cus_p", "sub_p", CREATOR_B, start,
                                     [make_line(f"il_p_{m + 2}", iid, "sub_p", "price_superfan_m", start, end, 3000)]))
    subscriptions = [
        make_subscription("sub_v", "cus_v", CREATOR_A, "price_fan_m", "2025-09-15"),
        make_subscription("sub_p", "cus_p", CREATOR_B, "price_superfan_m", "2025-09-02"),
    ]
    return {"invoice": invoices, "subscription": subscriptions,
            "price": [make_price(p) for p in ("price_fan_m", "price_superfan_m")]}


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def void_credit_wh(request, tmp_path_factory):
    book = build_void_credit_book()
    wh = _warehouse(request.param, tmp_path_factory, "cb_t_subscriptions_void_credit")
    _load(wh, book, {"2025-09-30": "1.17", "2025-10-31": "1.15", "2025-11-28": "1.16",
                     "2025-12-31": "1.17", "2026-01-15": "1.16"})
    run_dbt(wh.env, "build", "--select", "currencies " + MY_MODELS, "--indirect-selection", "cautious",
            "--exclude-resource-type", "unit_test")
    wh.book = book
    return wh


def test_a_credit_for_a_void_period_counts_for_nothing(void_credit_wh):
    assert void_credit_wh.query("select count(*) from marts.fct_mrr where mrr < 0") == [(0,)]
    assert _mrr(void_credit_wh, "cus_v") == {"2025-09": 3000, "2025-10": 3000, "2025-11": 1500,
                                            "2025-12": 1500, "2026-01": 1500}
    assert _mrr(void_credit_wh, "cus_p") == {"2025-09": 1500, "2025-10": 3000, "2025-11": 3000,
                                            "2025-12": 3000, "2026-01": 3000}
    book = void_credit_wh.book
    expected = mrr_from_raw_invoices(book["invoice"], {p["id"]: p for p in book["price"]},
                                     {s["id"]: s for s in book["subscription"]})
    rows = void_credit_wh.query("select month, customer_id, creator_account_id, subscription_id, currency, mrr "
                                "from marts.fct_mrr")
    assert {(m if not hasattr(m, "date") else m.date(), c, cr, s, cur): int(v)
            for m, c, cr, s, cur, v in rows} == expected


def test_a_credit_for_a_void_period_moves_in_its_month(void_credit_wh):
    for view in ("platform", "creator"):
        moves = [(m, c, t, n) for m, c, _, t, n, _ in _moves(void_credit_wh, view) if t != "fx"]
        # the downgrade is a contraction in November (it was a churn of 3000 in November and a
        # reactivation of 1500 in December); the upgrade an expansion in October (it was November)
        assert moves == [("2025-09", "cus_p", "new", 1500), ("2025-09", "cus_v", "new", 3000),
                         ("2025-10", "cus_p", "expansion", 1500), ("2025-11", "cus_v", "contraction", -1500)]
