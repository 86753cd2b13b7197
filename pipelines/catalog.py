"""The Stripe object types Cashbook reads: one place that the sandbox server, the sync engine,
the Dagster assets and the dbt sources all agree on.

`object` is Stripe's own `object` field; `table` is the landing table in schema `raw_stripe`
(dots become underscores, DESIGN section 5); `path` is the list endpoint.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StripeObjectType:
    object: str                 # Stripe's `object` value, e.g. "radar.early_fraud_warning"
    path: str | None            # list endpoint; None where objects are only reachable through a parent
    on_platform: bool = True    # listed on the platform account
    on_connected: bool = False  # also listed on each connected account (Stripe-Account header)
    mutable: bool = False       # changes after creation arrive through /v1/events
    list_params: tuple[tuple[str, str], ...] = ()  # fixed list parameters, e.g. status=all
    id_prefix: str = ""         # the sandbox's id prefix

    @property
    def table(self) -> str:
        return self.object.replace(".", "_")

    @property
    def asset_name(self) -> str:
        return self.table


OBJECT_TYPES: tuple[StripeObjectType, ...] = (
    StripeObjectType("account", "/v1/accounts", mutable=True, id_prefix="acct_"),
    StripeObjectType("customer", "/v1/customers", mutable=True, id_prefix="cus_"),
    StripeObjectType("product", "/v1/products", mutable=True, id_prefix="prod_"),
    StripeObjectType("price", "/v1/prices", mutable=True, id_prefix="price_"),
    StripeObjectType("coupon", "/v1/coupons", mutable=True, id_prefix="co_"),
    StripeObjectType("promotion_code", "/v1/promotion_codes", mutable=True, id_prefix="promo_"),
    StripeObjectType("subscription", "/v1/subscriptions", mutable=True,
                     list_params=(("status", "all"),), id_prefix="sub_"),
    StripeObjectType("invoice", "/v1/invoices", mutable=True, id_prefix="in_"),
    StripeObjectType("invoice_payment", "/v1/invoice_payments", mutable=True, id_prefix="inpay_"),
    StripeObjectType("credit_note", "/v1/credit_notes", mutable=True, id_prefix="cn_"),
    StripeObjectType("payment_intent", "/v1/payment_intents", mutable=True, id_prefix="pi_"),
    StripeObjectType("charge", "/v1/charges", mutable=True, id_prefix="ch_"),
    StripeObjectType("refund", "/v1/refunds", mutable=True, id_prefix="re_"),
    StripeObjectType("dispute", "/v1/disputes", mutable=True, id_prefix="dp_"),
    StripeObjectType("radar.early_fraud_warning", "/v1/radar/early_fraud_warnings",
                     mutable=True, id_prefix="issfr_"),
    StripeObjectType("balance_transaction", "/v1/balance_transactions",
                     on_connected=True, id_prefix="txn_"),
    StripeObjectType("transfer", "/v1/transfers", mutable=True, id_prefix="tr_"),
    # No top-level list in Stripe's API: read through /v1/transfers/{id}/reversals.
    StripeObjectType("transfer_reversal", None, id_prefix="trr_"),
    StripeObjectType("application_fee", "/v1/application_fees", mutable=True, id_prefix="fee_"),
    StripeObjectType("payout", "/v1/payouts", on_connected=True, mutable=True, id_prefix="po_"),
    StripeObjectType("event", "/v1/events", on_connected=True, id_prefix="evt_"),
)

BY_OBJECT: dict[str, StripeObjectType] = {t.object: t for t in OBJECT_TYPES}
BY_TABLE: dict[str, StripeObjectType] = {t.table: t for t in OBJECT_TYPES}

# Invoice line items are a nested list (`invoice.lines`, truncated at 10) paged through
# /v1/invoices/{id}/lines; the sync engine lands the complete list inside the invoice payload.
INVOICE_LINES_PATH = "/v1/invoices/{id}/lines"
TRANSFER_REVERSALS_PATH = "/v1/transfers/{id}/reversals"
EVENT_RETENTION_DAYS = 30
