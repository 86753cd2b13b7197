"""Form 1099-K and 1099-NEC amounts per recipient, every box traceable to its source ids.

Inputs are plain rows already in USD cents (use `usd_cents` for a charge presented in another
currency). Gross means gross: Box 1a is the sum of the payment transactions as charged, with no
deduction for fees, refunds, chargebacks or the platform's commission (Form 1099-K instructions,
Box 1a). Refunds are therefore not inputs here at all.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from pipelines.money import convert_minor, to_minor, to_major

from .thresholds import BACKUP_WITHHOLDING_RATE, federal_required, state_filing_flag
from .tin import TinCheck, check_tin, mask_tin

# Box 2 default: MCC 5815, "Digital Goods Media - Books, Movies, Music" (ISO 18245 / Visa Merchant
# Data Standards Manual). Fans pay creators for digital content (posts, video, music), which is
# what 5815 covers; 5818 ("Large Digital Goods Merchant") is a network-assigned category for
# merchants selling several kinds of digital goods at volume, not for an individual creator.
DEFAULT_MCC = "5815"

MONTH_BOXES = ("5a", "5b", "5c", "5d", "5e", "5f", "5g", "5h", "5i", "5j", "5k", "5l")

BACKUP_WITHHOLDING_CONSEQUENCE = (
    "No 1099 is written for this recipient: payments are subject to backup withholding at 24% "
    "(IRC 3406(a)(1)) until a valid TIN is certified on Form W-9."
)


def usd_cents(amount_minor: int, currency: str, usd_per_unit: Decimal | str) -> int:
    """A charge in its presentment currency to USD cents (half-up once)."""
    if currency.upper() == "USD":
        return int(amount_minor)
    return convert_minor(amount_minor, currency, "USD", usd_per_unit)


def _object_id(value) -> str | None:
    """A Stripe reference is an id string or, when expanded, an object with an id."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def payments_from_charges(charges: list[dict], usd_per_unit: dict[str, Decimal | str]) -> list[Payment]:
    """Stripe charge objects (destination charges) to payment transactions for the creator.

    Only succeeded charges count. `amount_refunded` is deliberately ignored: refunds never
    reduce Box 1a. The creator is `transfer_data.destination` (else `on_behalf_of`).
    `usd_per_unit` maps a presentment currency to USD per one unit of it.
    """
    out = []
    for charge in charges:
        charge_id = charge.get("id", "?")
        if charge.get("status") != "succeeded":
            continue
        destination = _object_id((charge.get("transfer_data") or {}).get("destination")) or _object_id(
            charge.get("on_behalf_of"))
        if not destination:
            continue
        if not isinstance(charge.get("created"), int):
            raise ValueError(f"charge {charge_id}: field created must be a Unix timestamp")
        amount = charge.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ValueError(f"charge {charge_id}: field amount must be integer minor units")
        currency = str(charge.get("currency") or "").upper()
        if not currency:
            raise ValueError(f"charge {charge_id}: field currency is missing")
        if currency != "USD" and currency not in usd_per_unit:
            raise ValueError(f"charge {charge_id}: no USD rate for currency {currency}")
        method = (charge.get("payment_method_details") or {}).get("type")
        out.append(Payment(
            source_id=charge_id,
            recipient_id=destination,
            paid_on=datetime.fromtimestamp(int(charge["created"]), tz=timezone.utc).date(),
            amount_cents=usd_cents(amount, currency, usd_per_unit.get(currency, "1")),
            # box 1b counts card payments made without the card present: online card payments
            # (wallets included, Stripe reports them as "card"); bank debits are not card payments
            card_not_present=method in (None, "card"),
        ))
    return out


def _day(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Payment:
    """One payment transaction settled to a creator (a charge), in USD cents."""
    source_id: str
    recipient_id: str
    paid_on: date | datetime | str
    amount_cents: int
    card_not_present: bool = True  # online card payments are card-not-present


@dataclass(frozen=True)
class Compensation:
    """Platform-paid compensation to a creator (a bonus), in USD cents."""
    source_id: str
    recipient_id: str
    paid_on: date | datetime | str
    amount_cents: int


@dataclass(frozen=True)
class Recipient:
    """W-9 data for a creator with a US tax profile. `tin` is sensitive."""
    recipient_id: str
    name: str
    tin: str | None = field(repr=False)  # never in a repr, log line or message
    tin_type: str | None = None  # "SSN" or "EIN"
    address: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    account_number: str = ""
    backup_withholding: bool = False  # e.g. after a B-notice or IRS notification
    state_id: str = ""  # payer's state identification number for box 7


@dataclass
class Form1099K:
    recipient_id: str
    tax_year: int
    gross_1a: int
    card_not_present_1b: int
    mcc_2: str
    transactions_3: int
    withholding_4: int
    months_5: list[int]  # 5a..5l, cents
    state_6: str
    state_id_7: str
    state_withholding_8: int
    state_filing_flag: bool
    sources: dict[str, list[str]] = field(default_factory=dict)  # box -> source ids
    federal_required: bool = True  # False: filed only because the state threshold is lower

    def box(self, name: str) -> int:
        if name == "1a":
            return self.gross_1a
        if name == "1b":
            return self.card_not_present_1b
        if name == "4":
            return self.withholding_4
        return self.months_5[MONTH_BOXES.index(name)]


@dataclass
class Form1099NEC:
    recipient_id: str
    tax_year: int
    compensation_1: int
    withholding_4: int
    state_filing_flag: bool = False
    sources: dict[str, list[str]] = field(default_factory=dict)
    federal_required: bool = True
    state_6: str = ""


@dataclass(frozen=True)
class TinException:
    recipient_id: str
    form: str
    masked_tin: str
    reason: str
    consequence: str = BACKUP_WITHHOLDING_CONSEQUENCE


def backup_withholding(gross_cents: int) -> int:
    """24% of the reportable amount, half-up to the cent."""
    return to_minor(to_major(gross_cents, "USD") * Decimal(BACKUP_WITHHOLDING_RATE), "USD")


def aggregate_1099k(payments: list[Payment], tax_year: int, mcc: str = DEFAULT_MCC) -> dict[str, Form1099K]:
    """Boxes per recipient from the year's payment transactions (no threshold test yet)."""
    forms: dict[str, Form1099K] = {}
    for pay in payments:
        if isinstance(pay.amount_cents, float):
            raise TypeError(f"payment {pay.source_id}: amount_cents must be an integer")
        day = _day(pay.paid_on)
        if day.year != tax_year:
            continue
        form = forms.get(pay.recipient_id)
        if form is None:
            form = forms[pay.recipient_id] = Form1099K(
                pay.recipient_id, tax_year, 0, 0, mcc, 0, 0, [0] * 12, "", "", 0, False,
                defaultdict(list),
            )
        form.gross_1a += pay.amount_cents
        form.sources["1a"].append(pay.source_id)
        form.transactions_3 += 1
        form.sources["3"].append(pay.source_id)
        if pay.card_not_present:
            form.card_not_present_1b += pay.amount_cents
            form.sources["1b"].append(pay.source_id)
        box = MONTH_BOXES[day.month - 1]
        form.months_5[day.month - 1] += pay.amount_cents
        form.sources[box].append(pay.source_id)
    for form in forms.values():
        form.sources = dict(form.sources)
        if form.gross_1a != sum(form.months_5):
            raise AssertionError(f"1099-K for {form.recipient_id}: 1a differs from 5a-5l")
    return forms


def aggregate_1099nec(items: list[Compensation], tax_year: int) -> dict[str, Form1099NEC]:
    forms: dict[str, Form1099NEC] = {}
    for item in items:
        if isinstance(item.amount_cents, float):
            raise TypeError(f"compensation {item.source_id}: amount_cents must be an integer")
        if _day(item.paid_on).year != tax_year:
            continue
        form = forms.setdefault(item.recipient_id, Form1099NEC(item.recipient_id, tax_year, 0, 0, False, {"1": []}))
        form.compensation_1 += item.amount_cents
        form.sources["1"].append(item.source_id)
    return forms


@dataclass
class Returns:
    forms: list  # Form1099K or Form1099NEC: valid TIN and over the federal or a state threshold
    exceptions: list[TinException]
    below_threshold: list[str]  # recipient ids
    tin_checks: dict[str, TinCheck]
    # paid in the year but no US tax profile: foreign creators (W-8BEN on file, no 1099) or US
    # persons still owing a W-9; the caller knows which from the account's country
    no_us_profile: list[str] = field(default_factory=list)

    @property
    def federal_forms(self) -> list:
        """The returns the IRS requires (what goes into the FIRE / IRIS file)."""
        return [f for f in self.forms if f.federal_required]

    @property
    def state_only_forms(self) -> list:
        """Returns only a state with a lower threshold wants: file them with that state."""
        return [f for f in self.forms if not f.federal_required]


def _select(form_name, aggregates, recipients, tax_year, amount_of, count_of) -> Returns:
    by_id = {r.recipient_id: r for r in recipients}
    out = Returns([], [], [], {})
    for recipient_id in sorted(aggregates):
        agg = aggregates[recipient_id]
        recipient = by_id.get(recipient_id)
        if recipient is None:
            out.no_us_profile.append(recipient_id)
            continue
        check = check_tin(recipient.tin, recipient.tin_type)
        out.tin_checks[recipient_id] = check
        amount, count = amount_of(agg), count_of(agg)
        required = federal_required(form_name, tax_year, amount, count)
        state_flag = state_filing_flag(form_name, recipient.state, tax_year, amount, count)
        if not check.valid:
            out.exceptions.append(
                TinException(recipient_id, form_name, mask_tin(recipient.tin, check.kind), check.reason)
            )
            continue
        if not (required or state_flag):
            out.below_threshold.append(recipient_id)
            continue
        agg.state_filing_flag = state_flag
        # only on payments the IRS requires reported (for TPSOs, P.L. 119-21 limits backup
        # withholding to payees over the 6050W(e) threshold)
        if recipient.backup_withholding and agg.withholding_4 == 0 and required:
            agg.withholding_4 = backup_withholding(amount)
            agg.sources["4"] = list(agg.sources.get("1a") or agg.sources.get("1") or [])
        agg.state_6 = recipient.state.upper()
        if isinstance(agg, Form1099K):
            agg.state_id_7 = recipient.state_id
        agg.federal_required = required
        out.forms.append(agg)
    return out


def build_1099k(payments, recipients, tax_year, mcc: str = DEFAULT_MCC) -> Returns:
    """Forms 1099-K to file (federal threshold, or a lower state threshold) and TIN exceptions."""
    return _select("1099-K", aggregate_1099k(payments, tax_year, mcc), recipients, tax_year,
                   lambda f: f.gross_1a, lambda f: f.transactions_3)


def build_1099nec(items, recipients, tax_year) -> Returns:
    return _select("1099-NEC", aggregate_1099nec(items, tax_year), recipients, tax_year,
                   lambda f: f.compensation_1, lambda f: 0)


def _int_field(row: dict, name: str, what: str) -> int:
    value = row.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} {row.get('source_id', row.get('recipient_id', '?'))}: field {name} must be integer cents")
    return value


def payments_from_rows(rows) -> list[Payment]:
    """Dict rows (e.g. `polars_frame.iter_rows(named=True)` of a tax-base mart) to payments:
    source_id, recipient_id, paid_on, amount_cents, optional card_not_present."""
    return [Payment(str(r["source_id"]), str(r["recipient_id"]), r["paid_on"],
                    _int_field(r, "amount_cents", "payment"), bool(r.get("card_not_present", True)))
            for r in rows]


def compensations_from_rows(rows) -> list[Compensation]:
    return [Compensation(str(r["source_id"]), str(r["recipient_id"]), r["paid_on"],
                         _int_field(r, "amount_cents", "compensation")) for r in rows]


def recipients_from_rows(rows) -> list[Recipient]:
    """W-9 rows to recipients. Keys: recipient_id (or `account`), name (or `legal_name`), tin,
    tin_type, address (or `address_line1`), city, state, zip_code (or `postal_code`),
    account_number, backup_withholding, state_id: the sandbox's tax_profiles columns work as they
    are. Rows with `is_us` false are not US tax profiles and are skipped."""
    out = []
    for r in rows:
        if "is_us" in r and not r["is_us"]:
            continue
        recipient_id = r.get("recipient_id") or r.get("account")
        if not recipient_id:
            raise ValueError("tax profile row: field recipient_id (or account) is missing")
        out.append(Recipient(
            str(recipient_id), r.get("name") or r.get("legal_name") or "", r.get("tin"), r.get("tin_type"),
            r.get("address") or r.get("address_line1") or "", r.get("city") or "", (r.get("state") or "").upper(),
            str(r.get("zip_code") or r.get("postal_code") or ""), r.get("account_number") or "",
            bool(int(r.get("backup_withholding") or 0)), r.get("state_id") or ""))
    return out
