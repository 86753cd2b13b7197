"""Stripe object templates: Stripe's own example of each resource (stripe_templates.json, taken
from stripe/openapi fixtures3.json), with the fixture's placeholder junk reset to what the API
returns for a fresh object. Builders start from a fresh copy so every documented key is present.
"""
from __future__ import annotations

from pathlib import Path

import orjson

_RAW = orjson.loads((Path(__file__).with_name("stripe_templates.json")).read_bytes())

_ADDRESS_NULL = {"city": None, "country": None, "line1": None, "line2": None,
                 "postal_code": None, "state": None}

# Values that are placeholders in the fixture: what a real object of ours carries instead.
_CLEAN: dict[str, dict] = {
    "account": {"type": "express", "email": None, "external_accounts": None,
                "controller": {"type": "application", "is_controller": True,
                               "losses": {"payments": "application"},
                               "requirement_collection": "stripe",
                               "stripe_dashboard": {"type": "express"}, "fees": {"payer": "application"}}},
    "customer": {"discount": None, "invoice_prefix": None, "currency": None},
    "product": {"package_dimensions": None, "description": None, "type": "service",
                "default_price": None, "name": None},
    "price": {"custom_unit_amount": None, "transform_quantity": None, "tax_behavior": "exclusive"},
    "coupon": {"duration_in_months": None, "redeem_by": None, "percent_off": None, "currency": None},
    "promotion_code": {"expires_at": None, "active": True},
    "subscription": {"billing_cycle_anchor_config": None, "cancel_at": None, "canceled_at": None,
                     "ended_at": None, "next_pending_invoice_item_invoice": None,
                     "pause_collection": None, "pending_invoice_item_interval": None,
                     "pending_update": None, "trial_end": None, "trial_start": None,
                     "cancel_at_period_end": False, "billing_thresholds": None,
                     "billing_mode": {"type": "classic"}, "managed_payments": {"enabled": False},
                     "billing_schedules": []},
    "invoice": {"from_invoice": None, "last_finalization_error": None, "shipping_cost": None,
                "shipping_details": None, "customer_shipping": None, "webhooks_delivered_at": None,
                "amount_overpaid": 0, "due_date": None, "next_payment_attempt": None,
                "payment_settings": {"default_mandate": None, "payment_method_options": None,
                                     "payment_method_types": None}},
    "line_item": {"pretax_credit_amounts": []},
    "invoice_payment": {},
    "credit_note": {"shipping_cost": None, "voided_at": None, "pretax_credit_amounts": [],
                    "post_payment_amount": 0, "pre_payment_amount": 0, "pdf": None,
                    "out_of_band_amount": None},
    "payment_intent": {"amount_details": {"tip": {}}, "canceled_at": None, "last_payment_error": None,
                       "next_action": None, "payment_method_configuration_details": None,
                       "processing": None, "shipping": None, "managed_payments": {"enabled": False},
                       "automatic_payment_methods": None},
    "charge": {"source": None, "shipping": None, "fraud_details": {}, "receipt_url": None,
               "billing_details": {"address": dict(_ADDRESS_NULL), "email": None, "name": None,
                                   "phone": None, "tax_id": None}},
    "refund": {},
    "dispute": {"enhanced_eligibility_types": []},
    "radar.early_fraud_warning": {},
    "balance_transaction": {},
    "transfer": {},
    "transfer_reversal": {},
    "application_fee": {"originating_transaction": None},
    "payout": {"trace_id": {"status": "pending", "value": None}, "source_type": "card"},
    "event": {},
    "fee_refund": {},
    "discount": {},
    "credit_note_line_item": {"pretax_credit_amounts": [], "metadata": {}},
}

_TEMPLATES: dict[str, bytes] = {}
for _name, _obj in _RAW.items():
    _obj = dict(_obj)
    _obj.update(_CLEAN.get(_name, {}))
    if "livemode" in _obj:
        _obj["livemode"] = False
    if "metadata" in _obj:
        _obj["metadata"] = {}
    _TEMPLATES[_name] = orjson.dumps(_obj)


_PARSED: dict[str, dict] = {name: orjson.loads(raw) for name, raw in _TEMPLATES.items()}


def template(name: str) -> dict:
    """A fresh top-level copy of the cleaned template of Stripe resource `name`.

    Nested values are shared with the template for speed: builders replace top-level keys
    (never mutate a nested template value in place)."""
    return dict(_PARSED[name])


def fixture_keys(name: str) -> frozenset[str]:
    return frozenset(_RAW[name])


def list_object(data: list, url: str, *, has_more: bool = False) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
