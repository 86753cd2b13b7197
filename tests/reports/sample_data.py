"""Hand-worked inputs for the report tests. Every expected figure is worked out in the comments."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from reports.model import (
    AnnualReportData,
    CohortCell,
    CreatorStatementData,
    ForecastAccuracy,
    ForecastData,
    ForecastPoint,
    MonthlyReportData,
    PayoutSummary,
    QualityCheck,
    RevenueMonth,
    RiskRate,
    StatementLine,
    SubscriptionMonth,
    TopCreator,
)

OCT = date(2026, 10, 1)
SEP = date(2026, 9, 1)
GENERATED = datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)


def revenue(month, currency, gross, refunds, losses, reversals, transfers, other, fees, rep):
    """rep: the same eight figures in USD (gross, refunds, losses, reversals, transfers, other, fees);
    net worked out the way the mart does: gross + refunds + losses + reversals + transfers + other - fees."""
    net = gross + refunds + losses + reversals + transfers + other - fees
    rg, rr, rl, rv, rt, ro, rf = rep
    return RevenueMonth(
        revenue_month=month, currency=currency, gross_volume=gross, refunds=refunds, dispute_losses=losses,
        dispute_reversals=reversals, application_fees=0, transfers_to_creators=transfers, other_activity=other,
        stripe_fees=fees, platform_net_revenue=net, payouts=0, successful_payments=7, failed_payments=1,
        reporting_currency="USD", gross_volume_reporting=rg, refunds_reporting=rr, dispute_losses_reporting=rl,
        dispute_reversals_reporting=rv, application_fees_reporting=0, transfers_to_creators_reporting=rt,
        other_activity_reporting=ro, stripe_fees_reporting=rf,
        platform_net_revenue_reporting=rg + rr + rl + rv + rt + ro - rf)


# October 2026, by currency (net in the comment, worked by hand):
# USD 123450 - 5000 - 1500 - 60000 - 3610 = 53340 -> 533.40 USD
# EUR 123450 - 2000 + 500 - 50000 - 100 - 3000 = 68850 -> 688.50 EUR   (USD: 75046)
# JPY 3735 - 2000 - 135 = 1600 -> 1,600 JPY                             (USD: 1067)
# KWD 12345 - 400 = 11945 -> 11.945 KWD                                 (USD: 3882)
# Consolidated USD: gross 123450 + 134560 + 2490 + 4012 = 264512 -> 2,645.12 USD;
# net 53340 + 75046 + 1067 + 3882 = 133335 -> 1,333.35 USD; fees 3610 + 3270 + 90 + 130 = 7100 -> 71.00 USD.
OCTOBER_REVENUE = [
    revenue(OCT, "USD", 123450, -5000, -1500, 0, -60000, 0, 3610, (123450, -5000, -1500, 0, -60000, 0, 3610)),
    revenue(OCT, "EUR", 123450, -2000, 0, 500, -50000, -100, 3000, (134560, -2180, 0, 545, -54500, -109, 3270)),
    revenue(OCT, "JPY", 3735, 0, 0, 0, -2000, 0, 135, (2490, 0, 0, 0, -1333, 0, 90)),
    revenue(OCT, "KWD", 12345, 0, 0, 0, 0, 0, 400, (4012, 0, 0, 0, 0, 0, 130)),
]
# September: only in the trend chart of the October report, never in its tables (999.99 USD).
SEPTEMBER_REVENUE = [revenue(SEP, "USD", 99999, 0, 0, 0, 0, 0, 0, (99999, 0, 0, 0, 0, 0, 0))]


def subscription_month(month, start, new, expansion, reactivation, contraction, churn, fx, *,
                       customers_at_start=50, churned=4):
    end = start + new + expansion + reactivation - contraction - churn + fx
    lost = churn + contraction
    return SubscriptionMonth(
        month=month, reporting_currency="USD", mrr_reporting=end, paying_customers=55,
        customers_at_start=customers_at_start, start_mrr_reporting=start, new_mrr_reporting=new,
        expansion_mrr_reporting=expansion, contraction_mrr_reporting=contraction, churn_mrr_reporting=churn,
        reactivation_mrr_reporting=reactivation, fx_mrr_reporting=fx, new_customers=8,
        churned_customers=churned, reactivated_customers=1,
        customer_churn_rate=Decimal(churned) / Decimal(customers_at_start),
        gross_mrr_churn_rate=Decimal(lost) / Decimal(start),
        net_mrr_churn_rate=Decimal(lost - expansion - reactivation) / Decimal(start),
        net_revenue_retention=1 - Decimal(lost - expansion - reactivation) / Decimal(start),
        quick_ratio=(Decimal(new + expansion + reactivation) / Decimal(lost)).quantize(Decimal("0.000001")),
        arpa_reporting=end // 55, ltv_reporting=None)


# October: 100000 + 20000 + 5000 + 1000 - 3000 - 8000 - 250 = 114750 -> 1,147.50 USD.
# Churn 4/50 = 8.00%; gross MRR churn 11000/100000 = 11.00%; net (11000-6000)/100000 = 5.00%;
# NRR 95.00%; quick ratio 26000/11000 = 2.3636.. -> 2.36x.
OCTOBER_MRR = subscription_month(OCT, 100000, 20000, 5000, 1000, 3000, 8000, -250)

COHORTS = [
    CohortCell(cohort_month=date(2026, 8, 1), month=date(2026, 8, 1), months_since_first_paid=0,
               reporting_currency="USD", cohort_customers=10, retained_customers=10,
               cohort_new_mrr_reporting=50000, mrr_reporting=50000, logo_retention=Decimal(1),
               revenue_retention=Decimal(1)),
    CohortCell(cohort_month=date(2026, 8, 1), month=SEP, months_since_first_paid=1, reporting_currency="USD",
               cohort_customers=10, retained_customers=9, cohort_new_mrr_reporting=50000, mrr_reporting=48000,
               logo_retention=Decimal("0.9"), revenue_retention=Decimal("0.96")),
    CohortCell(cohort_month=date(2026, 8, 1), month=OCT, months_since_first_paid=2, reporting_currency="USD",
               cohort_customers=10, retained_customers=8, cohort_new_mrr_reporting=50000, mrr_reporting=51000,
               logo_retention=Decimal("0.8"), revenue_retention=Decimal("1.02")),
    CohortCell(cohort_month=SEP, month=SEP, months_since_first_paid=0, reporting_currency="USD",
               cohort_customers=5, retained_customers=5, cohort_new_mrr_reporting=20000, mrr_reporting=20000,
               logo_retention=Decimal(1), revenue_retention=Decimal(1)),
    CohortCell(cohort_month=SEP, month=OCT, months_since_first_paid=1, reporting_currency="USD",
               cohort_customers=5, retained_customers=3, cohort_new_mrr_reporting=20000, mrr_reporting=14000,
               logo_retention=Decimal("0.6"), revenue_retention=Decimal("0.7")),
]

TOP_CREATORS = [
    TopCreator("acct_alice", "Alice Draws", "standard", "USD", 80000, 4000, 72000, 120),
    TopCreator("acct_bob", "Bob Sings", "premium", "USD", 150000, 4500, 140000, 1500),
    TopCreator("acct_cleo", "Cleo Codes", "standard", "USD", 9900, 495, 9000, 12),
]

# Made EUR: 30000 -> 300.00 EUR; pending EUR: 4550 + 450 = 5000 -> 50.00 EUR; made JPY 5,000 JPY.
PAYOUTS = [
    PayoutSummary("platform", "USD", "paid", 2, 40000),
    PayoutSummary("creators", "EUR", "paid", 5, 30000),
    PayoutSummary("creators", "EUR", "pending", 1, 4550),
    PayoutSummary("creators", "EUR", "in_transit", 1, 450),
    PayoutSummary("creators", "JPY", "paid", 1, 5000),
]

# 3 / 4000 = 0.075% -> shown 0.08% (half-up); goal 0.10%. VAMP 30 / 2000 = 1.50% at a 1.50% line.
RISK = [
    RiskRate("Platform fraud rate", 3, 4000, Decimal(3) / Decimal(4000), Decimal("0.001"), "ok"),
    RiskRate("Visa VAMP", 30, 2000, Decimal("0.015"), Decimal("0.015"), "ok", 1500),
    RiskRate("Mastercard ECM", 2, 500, Decimal("0.004"), Decimal("0.015"), "ok", 100),
]

FORECAST = ForecastData(
    series="platform_net_revenue", model="ets_additive", currency="USD",
    history_months=tuple(date(2026, m, 1) for m in range(5, 11)),
    history_values=(100000, 110000, 105000, 120000, 125000, 133335),
    points=(ForecastPoint(date(2026, 11, 1), 140000, 130000, 150000, 125000, 155000),
            ForecastPoint(date(2026, 12, 1), 145055, 131000, 159000, 124000, 166000),
            ForecastPoint(date(2027, 1, 1), 150000, 132000, 168000, 123000, 177000)),
    accuracy=(ForecastAccuracy(1, Decimal("0.812"), Decimal("4.25"), Decimal("0.8"), Decimal("1"), 6),
              ForecastAccuracy(2, Decimal("0.95"), Decimal("6.5"), Decimal("0.75"), Decimal("0.9"), 5)),
)

QUALITY = [
    QualityCheck("ledger_balances_to_the_cent", "marts/fct_balance_transactions", True, True),
    QualityCheck("payouts_reconcile", "marts/fct_payout_reconciliation_itemized", True, True),
    QualityCheck("row_counts_match_api", "raw_stripe/charge", False, False, "landed 998 of 1000"),
]


def monthly_data(**overrides) -> MonthlyReportData:
    values = dict(month=OCT, reporting_currency="USD", generated_at=GENERATED,
                  revenue=SEPTEMBER_REVENUE + OCTOBER_REVENUE, subscriptions=[OCTOBER_MRR], cohorts=COHORTS,
                  top_creators=TOP_CREATORS, payouts=PAYOUTS, risk=RISK, forecast=FORECAST,
                  data_quality=QUALITY, source="test warehouse")
    values.update(overrides)
    return MonthlyReportData(**values)


# The year 2026 with two months of activity, to check year totals by hand:
# USD gross: 99999 (Sep) + 123450 (Oct) = 223449 -> 2,234.49 USD.
# Consolidated gross: 99999 + 264512 = 364511 -> 3,645.11 USD.
SEPTEMBER_MRR = subscription_month(SEP, 90000, 15000, 0, 0, 2000, 3000, 0)  # ends at 100000


def annual_data(**overrides) -> AnnualReportData:
    values = dict(year=2026, reporting_currency="USD", generated_at=GENERATED,
                  revenue=SEPTEMBER_REVENUE + OCTOBER_REVENUE, subscriptions=[SEPTEMBER_MRR, OCTOBER_MRR],
                  cohorts=COHORTS, top_creators=TOP_CREATORS, payouts=PAYOUTS,
                  risk_by_month={SEP: RISK[:1], OCT: RISK}, forecast=FORECAST, data_quality=QUALITY)
    values.update(overrides)
    return AnnualReportData(**values)


# net = 250000 - 5000 - 1500 - 7550 - 12500 + 2000 = 225450 -> 2,254.50 EUR
# carried forward = 10000 + 225450 - 150000 = 85450 -> 854.50 EUR
EUR_STATEMENT = CreatorStatementData(
    creator_account_id="acct_alice", creator_name="Alice Draws", tier="standard", month=OCT, currency="EUR",
    commission_rate=Decimal("0.05"), previous_balance=10000, gross=250000, refunds=5000, disputes=1500,
    fees=7550, commission=12500, bonuses=2000, payouts=150000, active_subscribers=120, generated_at=GENERATED,
    lines=(StatementLine(date(2026, 10, 15), 100000, "Payout po_1"),
           StatementLine(date(2026, 10, 31), 50000, "Payout po_2"),
           StatementLine(date(2026, 10, 20), 2000, "Bonus: 1,000 subscribers")))

# net = 3735 - 0 - 0 - 135 - 75 + 0 = 3525 -> 3,525 JPY; carried = -500 + 3525 - 3000 = 25 -> 25 JPY
JPY_STATEMENT = CreatorStatementData(
    creator_account_id="acct_kenji", creator_name="Kenji Films", tier="premium", month=OCT, currency="JPY",
    commission_rate=Decimal("0.02"), previous_balance=-500, gross=3735, refunds=0, disputes=0, fees=135,
    commission=75, bonuses=0, payouts=3000, active_subscribers=1200, generated_at=GENERATED)
