"""Money movements of the simulated platform: destination charges (with their transfer, platform
and connected-account balance transactions and application fee), refunds with transfer reversals
and fee refunds, disputes, early fraud warnings, bonuses and payouts.

Money model (the brief's, which is Stripe's `transfer_data[amount]` flavour of destination
charges): the platform books the charge (+amount, Stripe's fee) and a transfer of
amount - application_fee_amount to the creator (`transfer_data.amount`); the creator's account
books that transfer as a `payment`. The `application_fee` objects record the platform's cut for
reporting and carry no balance transaction of their own, so nothing is counted twice.

Every amount is an integer in minor units; conversions go through `pipelines.money` at the day's
simulated FX rate, rounding half-up once.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from pipelines.money import convert_minor

from .shapes import list_object, template
from .world import DAY, Balance, WorldBook, rate_number

PLATFORM = ""
PLATFORM_CURRENCY = "usd"
CARD_PCT = Decimal("0.029")
INTL_PCT = Decimal("0.015")
FX_PCT = Decimal("0.01")
DISPUTE_FEE_USD = 1500
DECLINES = (
    ("card_declined", "generic_decline", "Your card was declined."),
    ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ("card_declined", "do_not_honor", "Your card was declined."),
    ("expired_card", "expired_card", "Your card has expired."),
    ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
)
TESTING_DECLINES = DECLINES + (
    ("card_declined", "stolen_card", "Your card was declined."),
    ("card_declined", "lost_card", "Your card was declined."),
    ("card_declined", "fraudulent", "Your card was declined."),
)


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def day_floor(t: int) -> int:
    return t - t % DAY


def split_destination_charge(amount: int, tax: int, commission_rate: Decimal, fixed_fee: int) -> tuple[int, int]:
    """(application fee, transfer) of a destination charge, in the charge's minor units.

    The application fee covers the VAT the platform owes as deemed supplier, the creator-tier
    commission on the amount before tax, and the quoted card price (2.9% + the 30-cent
    equivalent `fixed_fee`); the creator receives the rest. Never more than the amount."""
    commission = half_up(Decimal(amount - tax) * commission_rate)
    app_fee = min(amount, tax + commission + half_up(Decimal(amount) * CARD_PCT) + fixed_fee)
    return app_fee, amount - app_fee


def stripe_fee_details(amount_usd: int, card_country: str, presentment: str) -> list[dict]:
    """Stripe's card fee on the platform's settled USD amount: 2.9% + 30c, +1.5% for cards
    issued outside the US, +1% when the charge was converted; half-up once."""
    pct = CARD_PCT
    if card_country != "US":
        pct += INTL_PCT
    if presentment != PLATFORM_CURRENCY:
        pct += FX_PCT
    return [{"amount": half_up(Decimal(amount_usd) * pct) + 30, "application": None,
             "currency": PLATFORM_CURRENCY, "description": "Stripe processing fees", "type": "stripe_fee"}]


@dataclass(slots=True)
class ChargeInfo:
    """What later refunds and disputes of a successful charge need (kept in the agenda)."""
    charge: str
    payment_intent: str
    transfer: str
    application_fee: str
    account: str
    account_currency: str
    amount: int
    currency: str
    transfer_amount: int
    application_fee_amount: int
    invoice: str | None
    tax: int


class Payments(WorldBook):
    # provided by the simulation
    fx = None
    target_clock = 0
    platform_name = "Cashbook Creators"
    payout_ids: dict = {}
    application_id = ""
    creators: list = []
    creator_index: dict = {}

    def __init__(self, seed: int):
        super().__init__(seed)
        self.pending_bts: list[tuple[int, str]] = []  # heap of (available_on, id) still pending

    # ------------------------------------------------------------------ helpers
    def conv(self, amount: int, src: str, dst: str) -> tuple[int, Decimal | None]:
        if src == dst:
            return amount, None
        rate = self.fx.rate(src, dst)
        return convert_minor(amount, src.upper(), dst.upper(), rate), rate

    def balance(self, account: str, currency: str) -> Balance:
        bal = self.balances.get(account)
        if bal is None:
            bal = self.balances[account] = Balance(currency)
        return bal

    def bt(self, t: int, account: str, amount: int, currency: str, type_: str, category: str,
           source: str, *, fee: int = 0, fee_details: list | None = None,
           exchange_rate: Decimal | None = None, description: str | None = None,
           available_on: int | None = None) -> dict:
        """A balance transaction on `account` ('' = platform), booked into its balance."""
        if available_on is None:
            available_on = day_floor(t) + 2 * DAY if amount > 0 else t
        o = template("balance_transaction")
        o.update({
            "id": self.ids.new("txn_"), "amount": amount, "available_on": available_on,
            "created": t, "currency": currency, "description": description,
            "exchange_rate": rate_number(exchange_rate) if exchange_rate is not None else None,
            "fee": fee, "fee_details": fee_details or [], "net": amount - fee,
            "reporting_category": category, "source": source,
            "status": "available" if available_on <= self.target_clock else "pending",
            "type": type_, "balance_type": "payments",
        })
        self.balance(account, currency).add(amount - fee, available_on, t)
        self.add(o, account=account, event=None)
        if o["status"] == "pending":
            heapq.heappush(self.pending_bts, (available_on, o["id"]))
        return o

    def release_balance_transactions(self, now: int) -> int:
        """Balance transactions whose `available_on` has passed become `available`, as Stripe
        shows them (no event). Only the few still pending are tracked: a status is written up
        front when it is already known at the world's target clock, so a generated world needs
        no rewrite; these are the ones of the last days before a clock that `advance` moves on."""
        heap = self.pending_bts
        released = 0
        while heap and heap[0][0] <= now:
            _, txn_id = heapq.heappop(heap)
            self.get(txn_id)["status"] = "available"  # rewritten by id at the next flush
            released += 1
        return released

    def track_pending_balance_transactions(self, conn) -> None:
        """A world saved before pending balance transactions were tracked: find them once.
        Pending means available_on > the clock it was written at, and available_on is at most
        two days after `created`, so only the last days' rows per account are read."""
        if getattr(self, "pending_bts", None) is not None:
            return
        rows = conn.execute(
            "SELECT json_extract(payload, '$.available_on'), id FROM objects "
            "WHERE object = 'balance_transaction' AND account IN (SELECT account FROM balances) "
            "AND created >= ? AND json_extract(payload, '$.status') = 'pending'",
            (self.clock - 3 * DAY,)).fetchall()
        self.pending_bts = sorted((int(when), txn_id) for when, txn_id in rows)

    def stripe_fee(self, amount_usd: int, card_country: str, presentment: str) -> list[dict]:
        return stripe_fee_details(amount_usd, card_country, presentment)

    # ------------------------------------------------------------------ charges
    def payment_intent(self, t: int, cust, amount: int, currency: str, acct: str, *,
                       description: str, metadata: dict, app_fee: int | None) -> dict:
        pi = template("payment_intent")
        pid = self.ids.new("pi_")
        pi.update({
            "id": pid, "amount": amount, "amount_capturable": 0, "amount_received": 0,
            "application_fee_amount": app_fee, "automatic_payment_methods": None,
            "client_secret": f"{pid}_secret_{self.ids.token(25)}", "created": t,
            "currency": currency, "customer": cust.id if cust else None, "description": description,
            "latest_charge": None, "metadata": dict(metadata),
            "payment_method": cust.pm if cust else None, "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
            "status": "requires_confirmation", "transfer_data": {"destination": acct},
            "transfer_group": f"group_{pid}", "receipt_email": cust.email if cust else None,
        })
        self.add(pi)
        return pi

    def charge(self, t: int, pi: dict, cust, creator, *, decline=None, card: dict | None = None,
               tax: int = 0, invoice: str | None = None, risk: int = 20,
               ip: str | None = None, ip_country: str | None = None) -> tuple[dict, ChargeInfo | None]:
        """Attempt the payment intent's charge: a destination charge to `creator`'s account."""
        amount, currency = pi["amount"], pi["currency"]
        card = card or cust.card
        ch = template("charge")
        cid = self.ids.new("ch_")
        ip = ip or cust.ip
        meta = dict(pi["metadata"])
        meta["client_ip"] = ip
        meta["ip_country"] = ip_country or cust.ip_country
        ch.update({
            "id": cid, "amount": amount, "amount_captured": 0, "amount_refunded": 0,
            "application": None, "application_fee": None, "application_fee_amount": None,
            "balance_transaction": None,
            "billing_details": {"address": dict(cust.address), "email": cust.email,
                                "name": cust.name, "phone": None, "tax_id": None},
            "calculated_statement_descriptor": "CASHBOOK* " + creator.short_name,
            "captured": False, "created": t, "currency": currency, "customer": cust.id,
            "description": pi["description"], "disputed": False, "metadata": meta,
            "payment_intent": pi["id"], "payment_method": cust.pm,
            "payment_method_details": {"card": {
                "amount_authorized": amount if decline is None else None, "authorization_code": None,
                "brand": card["brand"], "checks": {"address_line1_check": None,
                "address_postal_code_check": "pass", "cvc_check": "pass" if decline is None or decline[1] != "incorrect_cvc" else "fail"},
                "country": card["country"], "exp_month": card["exp_month"], "exp_year": card["exp_year"],
                "extended_authorization": {"status": "disabled"}, "fingerprint": card["fingerprint"],
                "funding": card["funding"], "incremental_authorization": {"status": "unavailable"},
                "installments": None, "last4": card["last4"], "mandate": None,
                "multicapture": {"status": "unavailable"}, "network": card["brand"],
                "network_token": {"used": False}, "network_transaction_id": None,
                "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
                "regulated_status": "unregulated", "three_d_secure": None, "wallet": None,
                "transaction_link_id": None}, "type": "card"},
            "receipt_email": cust.email, "receipt_url": None,
            "refunds": list_object([], f"/v1/charges/{cid}/refunds"),
            "transfer_data": {"amount": None, "destination": creator.id},
            "transfer_group": pi["transfer_group"], "review": None, "on_behalf_of": None,
        })
        level = "normal" if risk < 65 else ("elevated" if risk < 75 else "highest")
        if decline is not None:
            code, decline_code, message = decline
            blocked = decline_code in ("fraudulent",) and risk >= 75
            ch.update({
                "status": "failed", "paid": False, "failure_code": code, "failure_message": message,
                "outcome": {"advice_code": "do_not_try_again" if decline_code in ("stolen_card", "lost_card", "fraudulent") else "try_again_later",
                            "network_advice_code": None, "network_decline_code": None,
                            "network_status": "not_sent_to_network" if blocked else "declined_by_network",
                            "reason": "highest_risk_level" if blocked else decline_code,
                            "risk_level": level, "risk_score": risk,
                            "seller_message": "Stripe blocked this payment as too risky." if blocked else "The bank did not return any further details with this decline.",
                            "type": "blocked" if blocked else "issuer_declined"},
            })
            self.add(ch, event="charge.failed")
            self.update(pi, t, {"status": "requires_payment_method", "latest_charge": cid,
                                "last_payment_error": {"charge": cid, "code": code, "decline_code": decline_code,
                                                       "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
                                                       "message": message, "type": "card_error",
                                                       "payment_method": {"id": cust.pm, "object": "payment_method"}}},
                        event="payment_intent.payment_failed")
            return ch, None

        # succeeded: split into Stripe fee, application fee and the creator's transfer
        fixed, _ = self.conv(30, "usd", currency)
        app_fee, transfer_amount = split_destination_charge(amount, tax, creator.rate, fixed)
        amount_usd, rate = self.conv(amount, currency, PLATFORM_CURRENCY)
        details = self.stripe_fee(amount_usd, card["country"], currency)
        fee = sum(d["amount"] for d in details)
        txn = self.bt(t, PLATFORM, amount_usd, PLATFORM_CURRENCY, "charge", "charge", cid,
                      fee=fee, fee_details=details, exchange_rate=rate, description=pi["description"])
        tid, py = self.ids.new("tr_"), self.ids.new("py_")
        tr_usd, tr_rate = self.conv(transfer_amount, currency, PLATFORM_CURRENCY)
        tr_txn = self.bt(t, PLATFORM, -tr_usd, PLATFORM_CURRENCY, "transfer", "transfer", tid,
                         exchange_rate=tr_rate)
        acct_amount, acct_rate = self.conv(transfer_amount, currency, creator.currency)
        self.bt(t, creator.id, acct_amount, creator.currency, "payment", "charge", py,
                exchange_rate=acct_rate)
        tr = template("transfer")
        tr.update({
            "id": tid, "amount": transfer_amount, "amount_reversed": 0, "balance_transaction": tr_txn["id"],
            "created": t, "currency": currency, "description": None, "destination": creator.id,
            "destination_payment": py, "reversals": list_object([], f"/v1/transfers/{tid}/reversals"),
            "reversed": False, "source_transaction": cid, "source_type": "card",
            "transfer_group": pi["transfer_group"], "metadata": {},
        })
        fid = self.ids.new("fee_")
        fee_obj = template("application_fee")
        fee_obj.update({
            "id": fid, "account": creator.id, "amount": app_fee, "amount_refunded": 0,
            "application": self.application_id, "balance_transaction": None, "charge": cid,
            "created": t, "currency": currency, "fee_source": {"charge": cid, "type": "charge"},
            "refunded": False, "refunds": list_object([], f"/v1/application_fees/{fid}/refunds"),
        })
        ch.update({
            "status": "succeeded", "paid": True, "captured": True, "amount_captured": amount,
            "application": self.application_id, "application_fee": fid,
            "application_fee_amount": app_fee, "balance_transaction": txn["id"], "transfer": tid,
            "failure_code": None, "failure_message": None,
            "outcome": {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
                        "network_status": "approved_by_network", "reason": None,
                        "risk_level": level, "risk_score": risk,
                        "seller_message": "Payment complete.", "type": "authorized"},
            "receipt_number": None,
            # the platform keeps amount - transfer_data.amount (Stripe's transfer_data[amount] flavour)
            "transfer_data": {"amount": transfer_amount, "destination": creator.id},
        })
        self.add(ch, event="charge.succeeded")
        self.add(tr)
        self.add(fee_obj)
        self.update(pi, t, {"status": "succeeded", "amount_received": amount, "latest_charge": cid,
                            "last_payment_error": None, "application_fee_amount": app_fee,
                            "transfer_data": {"amount": transfer_amount, "destination": creator.id}},
                    event="payment_intent.succeeded")
        info = ChargeInfo(cid, pi["id"], tid, fid, creator.id, creator.currency, amount, currency,
                          transfer_amount, app_fee, invoice, tax)
        return ch, info

    # ------------------------------------------------------------------ reversals
    def reverse_transfer(self, t: int, info: ChargeInfo, amount: int, *, refund: str | None,
                         metadata: dict | None = None) -> dict:
        """Take `amount` (presentment currency) back from the creator's account."""
        rid = self.ids.new("trr_")
        usd, rate = self.conv(amount, info.currency, PLATFORM_CURRENCY)
        txn = self.bt(t, PLATFORM, usd, PLATFORM_CURRENCY, "transfer_refund", "transfer_reversal",
                      rid, exchange_rate=rate)
        pyr = self.ids.new("pyr_")
        acct_amount, acct_rate = self.conv(amount, info.currency, info.account_currency)
        self.bt(t, info.account, -acct_amount, info.account_currency, "payment_refund", "refund",
                pyr, exchange_rate=acct_rate)
        rev = template("transfer_reversal")
        rev.update({"id": rid, "amount": amount, "balance_transaction": txn["id"], "created": t,
                    "currency": info.currency, "destination_payment_refund": pyr,
                    "metadata": metadata or {}, "source_refund": refund, "transfer": info.transfer})
        self.add(rev, parent=info.transfer, event=None)
        tr = self.get(info.transfer)
        reversals = tr["reversals"]
        data = [rev] + reversals["data"]
        self.update(tr, t, {
            "amount_reversed": tr["amount_reversed"] + amount,
            "reversed": tr["amount_reversed"] + amount >= tr["amount"],
            "reversals": list_object(data[:10], reversals["url"], has_more=len(data) > 10),
        }, event="transfer.reversed")
        return rev

    def refund(self, t: int, info: ChargeInfo, amount: int, *, reason: str,
               credit_note: bool = False) -> dict | None:
        """Refund part or all of a charge, reversing the transfer and refunding the fee pro rata."""
        ch = self.get(info.charge)
        remaining = ch["amount"] - ch["amount_refunded"]
        if ch["disputed"] or remaining <= 0:
            return None
        amount = min(amount, remaining)
        tr = self.get(info.transfer)
        transfer_left = tr["amount"] - tr["amount_reversed"]
        reverse = transfer_left if amount == remaining else min(transfer_left, info.transfer_amount * amount // info.amount)
        fee_refund = amount - reverse
        reid = self.ids.new("re_")
        usd, rate = self.conv(amount, info.currency, PLATFORM_CURRENCY)
        txn = self.bt(t, PLATFORM, -usd, PLATFORM_CURRENCY, "refund", "refund", reid, exchange_rate=rate)
        re = template("refund")
        re.update({"id": reid, "amount": amount, "balance_transaction": txn["id"], "charge": info.charge,
                   "created": t, "currency": info.currency, "customer": ch["customer"],
                   "destination_details": {"card": {"reference": None, "reference_status": "pending",
                                                    "reference_type": "acquirer_reference_number",
                                                    "type": "refund"}, "type": "card"},
                   "payment_intent": info.payment_intent, "payment_method": ch["payment_method"],
                   "reason": reason, "status": "succeeded", "transfer_reversal": None,
                   "metadata": {}})
        if reverse > 0:
            re["transfer_reversal"] = self.reverse_transfer(t, info, reverse, refund=reid)["id"]
        self.add(re)
        if fee_refund > 0:
            fee = self.get(info.application_fee)
            fr = template("fee_refund")
            fr.update({"id": self.ids.new("fr_"), "amount": min(fee_refund, fee["amount"] - fee["amount_refunded"]),
                       "balance_transaction": None, "created": t, "currency": info.currency,
                       "fee": info.application_fee, "metadata": {}})
            data = [fr] + fee["refunds"]["data"]
            new_refunded = fee["amount_refunded"] + fr["amount"]
            self.update(fee, t, {"amount_refunded": new_refunded, "refunded": new_refunded >= fee["amount"],
                                 "refunds": list_object(data[:10], fee["refunds"]["url"], has_more=len(data) > 10)},
                        event="application_fee.refunded")
        refunds = [re] + ch["refunds"]["data"]
        self.update(ch, t, {"amount_refunded": ch["amount_refunded"] + amount,
                            "refunded": ch["amount_refunded"] + amount >= ch["amount"],
                            "refunds": list_object(refunds[:10], ch["refunds"]["url"], has_more=len(refunds) > 10)},
                    event="charge.refunded")
        if credit_note and info.invoice:
            self.credit_note(t, info, re, amount)
        return re

    def credit_note(self, t: int, info: ChargeInfo, re: dict, amount: int) -> dict:
        inv = self.get(info.invoice)
        tax_part = info.tax * amount // info.amount if info.amount else 0
        cnid = self.ids.new("cn_")
        line = inv["lines"]["data"][0]
        taxes = []
        if line.get("taxes"):
            src = line["taxes"][0]
            taxes = [{**src, "amount": tax_part, "taxable_amount": amount - tax_part}]
        cnl = template("credit_note_line_item")
        cnl.update({"id": self.ids.new("cnli_"), "amount": amount - tax_part, "description": line["description"],
                    "discount_amount": 0, "discount_amounts": [], "invoice_line_item": line["id"],
                    "quantity": 1, "tax_rates": [], "taxes": taxes, "type": "invoice_line_item",
                    "unit_amount": None, "unit_amount_decimal": None})
        cn = template("credit_note")
        cn.update({
            "id": cnid, "amount": amount, "amount_shipping": 0, "created": t, "currency": info.currency,
            "customer": inv["customer"], "discount_amount": 0, "discount_amounts": [], "effective_at": t,
            "invoice": info.invoice, "lines": list_object([cnl], f"/v1/credit_notes/{cnid}/lines"),
            "memo": "Refund requested by the fan", "number": f"{inv['number']}-CN-01",
            "post_payment_amount": amount, "pre_payment_amount": 0, "reason": "order_change",
            "refunds": [{"amount_refunded": amount, "refund": re["id"], "payment_record_refund": None, "type": "refund"}],
            "status": "issued", "subtotal": amount - tax_part, "subtotal_excluding_tax": amount - tax_part,
            "total": amount, "total_excluding_tax": amount - tax_part, "type": "post_payment",
            "total_taxes": taxes, "metadata": {},
        })
        self.add(cn)
        self.update(inv, t, {"post_payment_credit_notes_amount": inv["post_payment_credit_notes_amount"] + amount})
        return cn

    # ------------------------------------------------------------------ disputes & fraud warnings
    def early_fraud_warning(self, t: int, info: ChargeInfo, fraud_type: str) -> dict:
        efw = template("radar.early_fraud_warning")
        efw.update({"id": self.ids.new("issfr_"), "actionable": True, "charge": info.charge,
                    "created": t, "fraud_type": fraud_type, "payment_intent": info.payment_intent})
        self.add(efw)
        return efw

    def open_dispute(self, t: int, info: ChargeInfo, reason: str, *, inquiry: bool) -> dict | None:
        ch = self.get(info.charge)
        if ch["disputed"] or ch["amount_refunded"] > 0:
            return None
        did = self.ids.new("dp_")
        dp = template("dispute")
        card = ch["payment_method_details"]["card"]
        network_code = {"fraudulent": "10.4", "product_not_received": "13.1", "subscription_canceled": "13.2",
                        "unrecognized": "10.4", "general": "13.7", "credit_not_processed": "13.6"}.get(reason, "13.7")
        dp.update({
            "id": did, "amount": info.amount, "balance_transactions": [], "charge": info.charge,
            "created": t, "currency": info.currency,
            "evidence_details": {"due_by": day_floor(t) + 8 * DAY - 1, "enhanced_eligibility": {},
                                 "has_evidence": False, "past_due": False, "submission_count": 0},
            "is_charge_refundable": False, "payment_intent": info.payment_intent,
            "payment_method_details": {"card": {"brand": card["brand"], "case_type": "inquiry" if inquiry else "chargeback",
                                                "network_reason_code": network_code, "network": card["brand"]},
                                       "type": "card"},
            "reason": reason, "status": "warning_needs_response" if inquiry else "needs_response",
            "enhanced_eligibility_types": [], "metadata": {},
        })
        if not inquiry:
            usd, rate = self.conv(info.amount, info.currency, PLATFORM_CURRENCY)
            details = [{"amount": DISPUTE_FEE_USD, "application": None, "currency": PLATFORM_CURRENCY,
                        "description": "Dispute fee", "type": "stripe_fee"}]
            txn = self.bt(t, PLATFORM, -usd, PLATFORM_CURRENCY, "adjustment", "dispute", did,
                          fee=DISPUTE_FEE_USD, fee_details=details, exchange_rate=rate,
                          description=f"Chargeback withdrawal for {info.charge}")
            dp["balance_transactions"] = [dict(txn)]
        self.add(dp)
        if not inquiry:
            self.emit("charge.dispute.funds_withdrawn", dp, t)
        self.update(ch, t, {"disputed": True})
        if not inquiry:
            tr = self.get(info.transfer)
            left = tr["amount"] - tr["amount_reversed"]
            if left > 0:
                self.reverse_transfer(t, info, left, refund=None, metadata={"dispute": did})
        return dp

    def submit_evidence(self, t: int, dispute_id: str) -> None:
        dp = self.get(dispute_id)
        if dp["status"] not in ("needs_response", "warning_needs_response"):
            return
        ch = self.get(dp["charge"])
        evidence = {**dp["evidence"], "customer_email_address": ch["billing_details"]["email"],
                    "customer_name": ch["billing_details"]["name"],
                    "customer_purchase_ip": ch["metadata"].get("client_ip"),
                    "product_description": "Digital membership of a creator on Cashbook",
                    "service_date": datetime.fromtimestamp(ch["created"], timezone.utc).strftime("%Y-%m-%d"),
                    "uncategorized_text": "The fan used the membership after the payment."}
        self.update(dp, t, {"status": "under_review" if dp["status"] == "needs_response" else "warning_under_review",
                            "evidence": evidence,
                            "evidence_details": {**dp["evidence_details"], "has_evidence": True, "submission_count": 1}})

    def close_dispute(self, t: int, dispute_id: str, info: ChargeInfo, won: bool) -> None:
        dp = self.get(dispute_id)
        if dp["status"].startswith("warning"):
            self.update(dp, t, {"status": "warning_closed"}, event="charge.dispute.closed")
            return
        changes = {"status": "won" if won else "lost"}
        if won:
            usd, rate = self.conv(info.amount, info.currency, PLATFORM_CURRENCY)
            txn = self.bt(t, PLATFORM, usd, PLATFORM_CURRENCY, "adjustment", "dispute_reversal", dispute_id,
                          exchange_rate=rate, description=f"Chargeback reversal for {info.charge}")
            changes["balance_transactions"] = dp["balance_transactions"] + [dict(txn)]
        self.update(dp, t, changes, event="charge.dispute.closed")
        if won:
            self.emit("charge.dispute.funds_reinstated", dp, t)
            tr = self.get(info.transfer)
            if tr["amount_reversed"] > 0:
                creator = self.creators[self.creator_index[info.account]]
                self.transfer(t, creator, tr["amount_reversed"], info.currency, kind="dispute_won",
                              source_transaction=info.charge)

    # ------------------------------------------------------------------ transfers & payouts
    def transfer(self, t: int, creator, amount: int, currency: str, *, kind: str,
                 source_transaction: str | None = None, description: str | None = None) -> dict:
        """A separate transfer from the platform balance (bonuses, dispute wins)."""
        tid, py = self.ids.new("tr_"), self.ids.new("py_")
        usd, rate = self.conv(amount, currency, PLATFORM_CURRENCY)
        txn = self.bt(t, PLATFORM, -usd, PLATFORM_CURRENCY, "transfer", "transfer", tid, exchange_rate=rate,
                      description=description)
        acct_amount, acct_rate = self.conv(amount, currency, creator.currency)
        self.bt(t, creator.id, acct_amount, creator.currency, "payment" if source_transaction else "transfer",
                "charge" if source_transaction else "transfer", py, exchange_rate=acct_rate,
                description=description)
        tr = template("transfer")
        tr.update({"id": tid, "amount": amount, "amount_reversed": 0, "balance_transaction": txn["id"],
                   "created": t, "currency": currency, "description": description, "destination": creator.id,
                   "destination_payment": py, "reversals": list_object([], f"/v1/transfers/{tid}/reversals"),
                   "reversed": False, "source_transaction": source_transaction,
                   "source_type": "card", "transfer_group": None, "metadata": {"kind": kind}})
        self.add(tr)
        return tr

    def payout(self, t: int, account: str, amount: int, currency: str, destination: str) -> dict:
        pid = self.ids.new("po_")
        txn = self.bt(t, account, -amount, currency, "payout", "payout", pid, description="STRIPE PAYOUT")
        po = template("payout")
        arrival = day_floor(t) + 2 * DAY
        po.update({"id": pid, "amount": amount, "arrival_date": arrival, "automatic": True,
                   "balance_transaction": txn["id"], "created": t, "currency": currency,
                   "description": "STRIPE PAYOUT", "destination": destination, "method": "standard",
                   "reconciliation_status": "not_applicable", "status": "pending", "type": "bank_account",
                   "statement_descriptor": None, "metadata": {}})
        self.add(po, account=account)
        self.payout_ids[pid] = t
        return po

    def settle_payout(self, t: int, payout_id: str, account: str, failure: tuple[str, str] | None) -> None:
        po = self.get(payout_id)
        if po["status"] in ("paid", "failed", "canceled"):
            return
        if failure is None:
            self.update(po, t, {"status": "paid", "reconciliation_status": "completed",
                                "trace_id": {"status": "supported", "value": self.ids.hex(16)}},
                        event="payout.paid", account=account)
            return
        code, message = failure
        txn = self.bt(t, account, po["amount"], po["currency"], "payout_failure", "payout_reversal",
                      payout_id, description="STRIPE PAYOUT FAILURE", available_on=t)
        self.update(po, t, {"status": "failed", "failure_code": code, "failure_message": message,
                            "failure_balance_transaction": txn["id"], "reconciliation_status": "completed"},
                    event="payout.failed", account=account)
