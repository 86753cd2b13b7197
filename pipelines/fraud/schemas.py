"""The input frames the fraud library reads (the assets build them from the marts).

Times are `Datetime` (naive UTC or tz-aware; converted to naive UTC). Amounts are integer minor
units with the currency beside them. Columns marked optional may be absent or null.

charges:  charge_id str, created_at datetime, customer_id str?, creator_account str,
          card_fingerprint str?, ip_address str?, card_country str?, ip_country str?,
          billing_country str?, card_network str? ('visa', 'mastercard', ...), amount int,
          currency str, status str ('succeeded' | 'failed' | 'pending')
customers: customer_id str, created_at datetime
disputes: charge_id str, created_at datetime, reason str (Stripe dispute reason)
early_fraud_warnings: charge_id str, created_at datetime
"""
from __future__ import annotations

import polars as pl

CHARGE_COLUMNS = {
    "charge_id": pl.Utf8, "created_at": pl.Datetime, "customer_id": pl.Utf8,
    "creator_account": pl.Utf8, "card_fingerprint": pl.Utf8, "ip_address": pl.Utf8,
    "card_country": pl.Utf8, "ip_country": pl.Utf8, "billing_country": pl.Utf8,
    "card_network": pl.Utf8, "amount": pl.Int64, "currency": pl.Utf8, "status": pl.Utf8,
}
OPTIONAL_CHARGE_COLUMNS = frozenset(
    {"customer_id", "card_fingerprint", "ip_address", "card_country", "ip_country",
     "billing_country", "card_network"}
)
CUSTOMER_COLUMNS = {"customer_id": pl.Utf8, "created_at": pl.Datetime}
DISPUTE_COLUMNS = {"charge_id": pl.Utf8, "created_at": pl.Datetime, "reason": pl.Utf8}
EFW_COLUMNS = {"charge_id": pl.Utf8, "created_at": pl.Datetime}


def conform(frame: pl.DataFrame | None, columns: dict, name: str,
            optional: frozenset = frozenset()) -> pl.DataFrame:
    """Check and cast a frame to its schema; absent optional columns become nulls. Money stays
    integer: a float `amount` is refused rather than truncated."""
    if frame is None:
        frame = pl.DataFrame(schema={c: (pl.Datetime("us") if t is pl.Datetime else t)
                                     for c, t in columns.items()})
    missing = [c for c in columns if c not in frame.columns and c not in optional]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")
    exprs = []
    for column, dtype in columns.items():
        if column not in frame.columns:
            exprs.append(pl.lit(None, dtype=dtype).alias(column))
            continue
        actual = frame.schema[column]
        if dtype is pl.Datetime:
            if not isinstance(actual, pl.Datetime):
                raise TypeError(f"{name}.{column} must be a Datetime, got {actual}")
            col = pl.col(column)
            if actual.time_zone is not None:
                col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            exprs.append(col.dt.cast_time_unit("us").alias(column))
        elif dtype is pl.Int64:
            if actual.is_float():
                raise TypeError(f"{name}.{column} is money in integer minor units, got {actual}")
            exprs.append(pl.col(column).cast(pl.Int64).alias(column))
        else:
            exprs.append(pl.col(column).cast(dtype).alias(column))
    return frame.select(exprs)
