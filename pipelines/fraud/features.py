"""Per-charge fraud features, each computed only from what was known before the charge.

No label leakage: a charge's features use earlier charges (velocity counts the charge itself and
those before it, never one after, ties at the same instant ordered by charge id), disputes and
early fraud warnings created strictly before the charge, and amount medians over strictly earlier
charges. Its own dispute or warning never enters its features (they come later by nature, and the
strict `<` keeps even a same-instant one out).

Feature columns (all numeric, no nulls, ready for the model):
- `{customer,card,ip}_charges_{1h,1d}`: charges (any status) with the same key in [t - w, t],
  this one included; 1 when the key is unknown (only the charge itself is known to share it).
- `card_ip_country_mismatch`, `card_billing_country_mismatch`, `ip_billing_country_mismatch`:
  1 when both countries are known and differ, else 0.
- `amount_to_customer_median` (earlier succeeded charges of the customer, same currency, last
  90 days) and `amount_to_creator_median` (the creator's, last 30 days): amount / median, 1.0
  when there is no earlier charge. A ratio of same-currency amounts, so float is harmless here.
- `customer_age_days`: days from the customer's creation to the charge; 0 when unknown, with
  `has_customer` 0/1.
- `{customer,card}_failed_1d`: failed charges with the same key in [t - 1 day, t).
- `prior_{disputes,efw}_{customer,card}`: disputes / early fraud warnings created before t on
  charges of the same customer / card.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from pipelines.fraud.schemas import (
    CHARGE_COLUMNS,
    CUSTOMER_COLUMNS,
    DISPUTE_COLUMNS,
    EFW_COLUMNS,
    OPTIONAL_CHARGE_COLUMNS,
    conform,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# How far back each windowed feature reads, plus a day of margin: scoring the charges from a time
# on (`since`) needs, before it, the customers' charges of CUSTOMER_CONTEXT (90-day median), the
# creators' of CREATOR_CONTEXT (30-day median) and every charge of the day before (the hour and day
# velocities and failed attempts, keyed by customer, card or IP). Prior disputes and warnings are
# all-time: they are located on the full charge list, never the window.
CUSTOMER_CONTEXT = timedelta(days=91)
CREATOR_CONTEXT = timedelta(days=31)
VELOCITY_CONTEXT = timedelta(days=2)
VELOCITY_KEYS = {"customer": "customer_id", "card": "card_fingerprint", "ip": "ip_address"}
FEATURE_COLUMNS = (
    "customer_charges_1h", "customer_charges_1d", "card_charges_1h", "card_charges_1d",
    "ip_charges_1h", "ip_charges_1d",
    "card_ip_country_mismatch", "card_billing_country_mismatch", "ip_billing_country_mismatch",
    "amount_to_customer_median", "amount_to_creator_median",
    "customer_age_days", "has_customer",
    "customer_failed_1d", "card_failed_1d",
    "prior_disputes_customer", "prior_disputes_card", "prior_efw_customer", "prior_efw_card",
)


def _events_index(events: pl.DataFrame, key: str) -> pl.DataFrame:
    """Events with a known key, sorted by time, each with the running count of its key so far."""
    return (events.filter(pl.col(key).is_not_null())
            .sort(["created_at", "seq"])
            .with_columns(pl.int_range(1, pl.len() + 1).over(key).alias("_cum")))


def _count_before(queries: pl.DataFrame, index: pl.DataFrame, key: str, at: str,
                  on: str = "created_at", inclusive: bool = False) -> pl.Series:
    """For each query row: how many events of its key have `on` < query[at] (<= if inclusive)."""
    left = (queries.select(pl.col("_row"), pl.col(key), pl.col(at).alias("_at"))
            .sort("_at"))
    right = index.select(pl.col(key), pl.col(on).alias("_at"), "_cum").sort("_at")
    joined = left.join_asof(right, on="_at", by=key, strategy="backward",
                            allow_exact_matches=inclusive, check_sortedness=False)
    return joined.sort("_row")["_cum"].fill_null(0)


def _velocity(charges: pl.DataFrame, key: str, window: timedelta) -> pl.Series:
    """Charges with the same key in [t - window, t] up to and including this one."""
    index = _events_index(charges, key)
    upto = _count_before(charges, index, key, at="seq", on="seq", inclusive=True)
    before = _count_before(charges.with_columns((pl.col("created_at") - window).alias("_lo")),
                           index, key, at="_lo")
    counts = upto - before
    return pl.when(charges[key].is_null()).then(1).otherwise(counts)


def _window_count(charges: pl.DataFrame, events: pl.DataFrame, key: str,
                  window: timedelta | None) -> pl.Series:
    """Events with the same key in [t - window, t) (all earlier ones when window is None)."""
    index = _events_index(events, key)
    upto = _count_before(charges, index, key, at="created_at")
    if window is None:
        return upto
    lo = charges.with_columns((pl.col("created_at") - window).alias("_lo"))
    return upto - _count_before(lo, index, key, at="_lo")


def _trailing_median(charges: pl.DataFrame, key: str, period: str) -> pl.Series:
    """Median amount of the key's earlier succeeded charges (same currency) in [t - period, t).

    Failed charges become nulls, which the rolling median skips; `closed="left"` leaves out the
    charge itself and any other charge at the same instant."""
    ordered = charges.sort(["created_at", "seq"]).with_columns(
        pl.when(pl.col("status") == "succeeded").then(pl.col("amount")).otherwise(None)
        .cast(pl.Float64)
        .rolling_median_by("created_at", window_size=period, closed="left")
        .over(key, "currency")
        .alias("_median"))
    medians = ordered.select("_row", pl.when(pl.col(key).is_null()).then(None)
                             .otherwise(pl.col("_median")).alias("_median"))
    return charges.select("_row").join(medians, on="_row", how="left", maintain_order="left")["_median"]


def _mismatch(a: str, b: str) -> pl.Expr:
    both_known = pl.col(a).is_not_null() & pl.col(b).is_not_null()
    return (both_known & (pl.col(a).str.to_uppercase() != pl.col(b).str.to_uppercase())).cast(pl.Int64)


def charge_features(charges: pl.DataFrame, customers: pl.DataFrame | None = None,
                    disputes: pl.DataFrame | None = None,
                    early_fraud_warnings: pl.DataFrame | None = None,
                    since: datetime | None = None) -> pl.DataFrame:
    """One row per charge: `charge_id`, `created_at`, `creator_account`, `amount`, `currency`,
    `status` and the FEATURE_COLUMNS, in the input order.

    With `since` (naive UTC), only the charges created at or after it, each with exactly the
    features a run over all charges gives it: the windows read only the charges `_context` keeps
    before `since`, the prior disputes and warnings are located on every charge. This is what
    makes a day cheap."""
    ch = conform(charges, CHARGE_COLUMNS, "charges", OPTIONAL_CHARGE_COLUMNS)
    if ch["charge_id"].is_duplicated().any():
        raise ValueError("charges: charge_id must be unique")
    cu = conform(customers, CUSTOMER_COLUMNS, "customers")
    di = conform(disputes, DISPUTE_COLUMNS, "disputes")
    ef = conform(early_fraud_warnings, EFW_COLUMNS, "early_fraud_warnings")
    owners = ch.select("charge_id", "customer_id", "card_fingerprint")
    by_creator = None
    if since is not None:
        ch, by_creator = _context(ch, since)

    ch = _ordered(ch)

    out = ch.select("_row", "charge_id", "created_at", "creator_account", "amount", "currency", "status")
    for name, key in VELOCITY_KEYS.items():
        out = out.with_columns(
            _velocity(ch, key, HOUR).alias(f"{name}_charges_1h"),
            _velocity(ch, key, DAY).alias(f"{name}_charges_1d"),
        )
    out = out.with_columns(ch.select(
        _mismatch("card_country", "ip_country").alias("card_ip_country_mismatch"),
        _mismatch("card_country", "billing_country").alias("card_billing_country_mismatch"),
        _mismatch("ip_country", "billing_country").alias("ip_billing_country_mismatch"),
    ))
    cust_median = _trailing_median(ch, "customer_id", "90d")
    if by_creator is None:
        creator_median = _trailing_median(ch, "creator_account", "30d")
    else:
        by_creator = _ordered(by_creator)
        medians = by_creator.select("charge_id", _trailing_median(by_creator, "creator_account", "30d"))
        creator_median = ch.select("charge_id").join(medians, on="charge_id", how="left",
                                                     maintain_order="left")["_median"]
    out = out.with_columns(
        _ratio(ch["amount"], cust_median).alias("amount_to_customer_median"),
        _ratio(ch["amount"], creator_median).alias("amount_to_creator_median"),
    )
    created = ch.select("customer_id").join(
        cu.unique("customer_id", keep="first").rename({"created_at": "_customer_created"}),
        on="customer_id", how="left", maintain_order="left")["_customer_created"]
    age_days = ((ch["created_at"] - created).dt.total_seconds() / 86_400.0)
    out = out.with_columns(
        age_days.fill_null(0.0).clip(lower_bound=0.0).alias("customer_age_days"),
        created.is_not_null().cast(pl.Int64).alias("has_customer"),
    )
    failed = ch.filter(pl.col("status") == "failed")
    out = out.with_columns(
        _window_count(ch, failed, "customer_id", DAY).alias("customer_failed_1d"),
        _window_count(ch, failed, "card_fingerprint", DAY).alias("card_failed_1d"),
    )
    for label, events in (("disputes", di), ("efw", ef)):
        located = (events.select("charge_id", "created_at").join(owners, on="charge_id", how="inner")
                   .with_row_index("seq"))
        out = out.with_columns(
            _window_count(ch, located, "customer_id", None).alias(f"prior_{label}_customer"),
            _window_count(ch, located, "card_fingerprint", None).alias(f"prior_{label}_card"),
        )
    out = out.sort("_row").drop("_row").with_columns(
        [pl.col(c).cast(pl.Float64 if c.startswith(("amount_to", "customer_age")) else pl.Int64)
         for c in FEATURE_COLUMNS])
    return out if since is None else out.filter(pl.col("created_at") >= since)


def _ordered(ch: pl.DataFrame) -> pl.DataFrame:
    """`_row` (input order) and `seq` (time order, ties by charge id) on each charge."""
    ch = ch.with_row_index("_row")
    order = ch.sort(["created_at", "charge_id"]).with_row_index("seq").select("_row", "seq")
    return ch.join(order, on="_row").sort("_row")


def _context(ch: pl.DataFrame, since: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The charges from `since` on with the earlier ones their features read (see the contexts
    above), and apart, for the creators' medians only, those with their creators' last month.
    Every feature of a charge from `since` is then what it is among all charges: each counts, or
    takes the median of, charges sharing one of its keys inside its window, and every such charge
    is kept; extra rows only ever add to both sides of a count's difference."""
    at = pl.col("created_at")
    window = ch.filter(at >= since)
    customers = window["customer_id"].drop_nulls().unique().implode()
    creators = window["creator_account"].drop_nulls().unique().implode()
    main = ch.filter((at >= since - VELOCITY_CONTEXT)
                     | ((at >= since - CUSTOMER_CONTEXT) & pl.col("customer_id").is_in(customers)))
    by_creator = ch.filter((at >= since - CREATOR_CONTEXT) & pl.col("creator_account").is_in(creators))
    return main, by_creator


def _ratio(amount: pl.Series, median: pl.Series) -> pl.Series:
    usable = median.is_not_null() & (median > 0)
    return pl.select(pl.when(usable).then(amount.cast(pl.Float64) / median).otherwise(1.0)).to_series()
