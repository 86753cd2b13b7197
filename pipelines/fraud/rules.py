"""Explainable rules beside the model, each reported with its hit rate (and, with labels, how
many hits were fraud and how much fraud it caught).

Rules read the features frame (`features.charge_features`); thresholds are module constants so
the report can print them.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

BURST_CHARGES_1H = 5  # charges on one card, or from one IP, within an hour
FAILED_BEFORE_SUCCESS = 3  # failed attempts (customer or card) in the day before a success
AMOUNT_SPIKE_RATIO = 5.0  # amount vs the customer's trailing median
NEW_CUSTOMER_DAYS = 1.0
NEW_CUSTOMER_AMOUNT_RATIO = 3.0  # amount vs the creator's trailing median


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    condition: pl.Expr


RULES: tuple[Rule, ...] = (
    Rule("card_testing_burst",
         f"card or IP used >= {BURST_CHARGES_1H} times within an hour",
         (pl.col("card_charges_1h") >= BURST_CHARGES_1H) | (pl.col("ip_charges_1h") >= BURST_CHARGES_1H)),
    Rule("card_ip_country_mismatch", "card issued in another country than the IP's",
         pl.col("card_ip_country_mismatch") == 1),
    Rule("card_billing_country_mismatch", "card issued in another country than the billing address",
         pl.col("card_billing_country_mismatch") == 1),
    Rule("failures_before_success",
         f"succeeded after >= {FAILED_BEFORE_SUCCESS} failed attempts in a day",
         (pl.col("status") == "succeeded")
         & ((pl.col("customer_failed_1d") >= FAILED_BEFORE_SUCCESS)
            | (pl.col("card_failed_1d") >= FAILED_BEFORE_SUCCESS))),
    Rule("amount_spike", f"amount >= {AMOUNT_SPIKE_RATIO:g}x the customer's usual",
         pl.col("amount_to_customer_median") >= AMOUNT_SPIKE_RATIO),
    Rule("new_customer_large_amount",
         f"customer younger than {NEW_CUSTOMER_DAYS:g} day paying >= {NEW_CUSTOMER_AMOUNT_RATIO:g}x "
         "the creator's usual",
         (pl.col("has_customer") == 1) & (pl.col("customer_age_days") < NEW_CUSTOMER_DAYS)
         & (pl.col("amount_to_creator_median") >= NEW_CUSTOMER_AMOUNT_RATIO)),
    Rule("prior_fraud_history", "card or customer had a dispute or early fraud warning before",
         (pl.col("prior_disputes_customer") + pl.col("prior_disputes_card")
          + pl.col("prior_efw_customer") + pl.col("prior_efw_card")) > 0),
)


def rule_hits(features: pl.DataFrame, rules: tuple[Rule, ...] = RULES) -> pl.DataFrame:
    """charge_id plus one boolean column per rule and `rule_hits` (list of the names that fired)."""
    flags = features.select("charge_id", *[r.condition.alias(r.name) for r in rules])
    names = [r.name for r in rules]
    hits = pl.concat_list([pl.when(pl.col(n)).then(pl.lit(n)).otherwise(None) for n in names]).list.drop_nulls()
    return flags.with_columns(hits.alias("rule_hits"))


def rule_report(features: pl.DataFrame, labels: pl.Series | None = None,
                rules: tuple[Rule, ...] = RULES) -> pl.DataFrame:
    """Per rule: hits, hit_rate (hits / charges) and, with 0/1 labels in the same order,
    fraud_hits, precision (fraud_hits / hits) and recall (fraud_hits / all fraud)."""
    flags = rule_hits(features, rules)
    positives = int(labels.sum()) if labels is not None else None
    counts = []
    for rule in rules:
        fired = flags[rule.name]
        fraud_hits = int((fired & (labels == 1)).sum()) if labels is not None else None
        counts.append((int(fired.sum()), fraud_hits))
    return _report(rules, counts, features.height, positives)


def rule_report_from_hits(hits: pl.DataFrame, total: int, labels: pl.DataFrame | None = None,
                          rules: tuple[Rule, ...] = RULES) -> pl.DataFrame:
    """The same report from stored scores: `hits` (charge_id, rule_hits; the charges without a
    hit may be left out), `total` scored charges and `labels` (charge_id, is_fraud) of all of
    them. A day reads this back from `finance.charge_fraud_scores` instead of every feature."""
    exploded = hits.select("charge_id", pl.col("rule_hits").alias("rule")).explode("rule").drop_nulls("rule")
    positives = None
    if labels is not None:
        positives = int(labels["is_fraud"].sum())
        exploded = exploded.join(labels.select("charge_id", "is_fraud"), on="charge_id", how="left")
    counts = []
    for rule in rules:
        fired = exploded.filter(pl.col("rule") == rule.name)
        fraud_hits = int((fired["is_fraud"] == 1).sum()) if labels is not None else None
        counts.append((fired.height, fraud_hits))
    return _report(rules, counts, total, positives)


def _report(rules: tuple[Rule, ...], counts: list[tuple[int, int | None]], total: int,
            positives: int | None) -> pl.DataFrame:
    rows = []
    for rule, (hits, fraud_hits) in zip(rules, counts):
        row = {"rule": rule.name, "description": rule.description, "hits": hits,
               "hit_rate": hits / total if total else None}
        if positives is not None:
            row |= {"fraud_hits": fraud_hits,
                    "precision": fraud_hits / hits if hits else None,
                    "recall": fraud_hits / positives if positives else None}
        rows.append(row)
    return pl.DataFrame(rows)
