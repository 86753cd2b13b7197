"""The simulated creator platform, day by day.

`Simulation.run_until(end)` moves the world forward one UTC day at a time: FX moves, creators
join, fans sign up (growth plus a December bump and a summer dip), subscriptions renew, fail and
retry (dunning), pause, up/downgrade with prorations, churn and come back, fans tip, some
payments are refunded or disputed, fraud rings and card testers strike, creators are paid out by
their schedule. Everything that must happen later (a renewal, a retry, a dispute's outcome) waits
in an agenda, which is part of the pickled state, so `advance` simply continues the same loop.
"""
from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

import orjson

from pipelines.money import PLATFORM_CURRENCIES, to_major

from . import people
from .catalogue import (CUSTOM_USD, INTERVAL_WEIGHTS, INTERVALS, LADDER, TIER_NAMES, TIER_USD,
                        TIER_WEIGHTS, TIERS, TIP_USD, monthly_factor, nice_minor, period_end)
from .fx import FxWalk
from .payments import DECLINES, PLATFORM, TESTING_DECLINES, ChargeInfo, Payments, day_floor, half_up
from .presets import Preset
from .shapes import list_object, template
from .world import DAY

PAYOUT_FAILURES = (("account_closed", "The bank account has been closed."),
                   ("could_not_process", "The bank could not process this payout."),
                   ("invalid_account_number", "The bank account number is invalid."))
COMMISSION = ((10_000, Decimal("0.02")), (1_000, Decimal("0.03")), (0, Decimal("0.05")))
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Background fraud. Stolen cards are bought in batches from abroad and used behind proxies: the
# card's issuing country and the IP's are often not the billing address's. Fraudsters go for the
# expensive tiers and big tips, several in a few hours, often after declined tries.
PROXY_COUNTRIES = ("NG", "RU", "VN", "ID", "UA", "PK", "BR", "US", "NL", "RO")
CARD_SOURCE_COUNTRIES = ("US", "GB", "BR", "IN", "MX", "CA", "FR", "DE")
FRAUD_TIP_USD = (Decimal(40), Decimal(50), Decimal(75), Decimal(100), Decimal(150), Decimal(200), Decimal(250))
ORDINARY_FRAUD_DISPUTE_WEIGHT = 8   # of 78: "fraudulent" among disputes of ordinary payments
ORDINARY_EFW_REFUND_RATE = 0.0003   # ordinary payments with an EFW the platform refunds
BLOCKED_DECLINES = tuple(d for d in TESTING_DECLINES if d[1] in ("stolen_card", "lost_card", "do_not_honor"))


@dataclass(slots=True)
class Creator:
    id: str
    name: str
    short_name: str
    country: str
    currency: str
    created: int
    popularity: float
    schedule: str
    anchor: int
    bank: str
    payouts_enabled: bool
    min_payout: int
    custom_usd: Decimal
    currencies: tuple
    rate: Decimal = Decimal("0.05")
    active: int = 0
    prices: dict = field(default_factory=dict)  # (tier, interval, currency) -> (price, product, amount, created)


@dataclass(slots=True)
class Customer:
    id: str
    name: str
    email: str
    country: str
    currency: str
    address: dict
    card: dict
    pm: str
    ip: str
    ip_country: str
    tax: tuple | None      # ("vat", country, rate, txr) | ("reverse", country, txr, value, type)
    prefix: str
    seq: int = 0
    ring: int | None = None
    tax_ids: tuple = ()          # ((type, value), ...) as shown on invoices, valid or not
    billing_currency: str | None = None
    fraud: str | None = None     # "stolen_card": a fraudster (ground truth, never in an object)
    blocked: bool = False        # the card was reported: every later attempt is declined

    @property
    def fake(self) -> bool:
        """A ring member or a fraudster: no trials, coupons, churn plans or comebacks."""
        return self.ring is not None or self.fraud is not None

    def __setstate__(self, state) -> None:
        """Unpickle; a world saved before `fraud` and `blocked` existed gets their defaults, so
        `advance` still runs on it."""
        self.fraud, self.blocked = None, False
        slots = state[1] if isinstance(state, tuple) else state
        for name, value in (slots or {}).items():
            setattr(self, name, value)


@dataclass(slots=True)
class Sub:
    id: str
    customer: int
    creator: int
    item: str
    tier: str
    interval: str
    currency: str
    price: str
    product: str
    amount: int
    anchor_day: int
    period_start: int
    period_end: int
    status: str
    discount: list | None = None   # [discount id, coupon id, percent, duration, end, used]
    cancel_at_end: bool = False
    paused_until: int = 0
    pending: list = field(default_factory=list)
    fails: int = 0
    open_invoice: str | None = None
    counted: bool = False
    open_pi: str | None = None
    trial_cancel: bool = False


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def season(ts: int) -> float:
    month = datetime.fromtimestamp(ts, timezone.utc).month
    return {12: 1.35, 11: 1.1, 1: 0.95, 6: 0.92, 7: 0.82, 8: 0.86}.get(month, 1.0)


class Simulation(Payments):
    def __init__(self, preset: Preset, seed: int, start: int, end: int, api_version: str):
        super().__init__(seed)
        self.preset = preset
        self.rng = random.Random(f"world:{preset.name}:{seed}")
        self.fx = FxWalk(seed)
        self.start = start
        self.clock = start
        self.target_clock = end
        self.event_from = end - 30 * DAY
        self.api_version = api_version
        self.application_id = self.ids.new("ca_")
        self.creators: list[Creator] = []
        self.creator_index: dict[str, int] = {}
        self.customers: list[Customer] = []
        self.subs: dict[str, Sub] = {}
        self.active: list[str] = []
        self.active_pos: dict[str, int] = {}
        self.agenda: list = []
        self.counter = 0
        self.coupons: list[tuple] = []
        self.tax_rates: dict[str, str] = {c: self.ids.new("txr_") for c in sorted(people.VAT_RATES)}
        self.platform_bank = self.ids.new("ba_")
        self._cum: list[float] = []
        self._cum_n = 0
        self.payout_ids: dict[str, int] = {}   # our recent payouts, to tell the server's apart
        self.rings: list[int] = []
        self._plan(end)

    # ------------------------------------------------------------------ planning
    def _plan(self, end: int) -> None:
        """Spread creators' joining and calibrate the signup rate to the preset's target."""
        p, rng = self.preset, self.rng
        days = (end - self.start) // DAY
        join = []
        for i in range(p.creators):
            if i < p.creators // 2:
                join.append(rng.randrange(0, 14))
            else:
                join.append(int(days * math.sqrt(rng.random())))
        self.creator_join_days = sorted(join)
        g = math.log(1 + p.monthly_growth)
        weights = [math.exp(g * d / 30) * season(self.start + d * DAY) for d in range(days)]
        survive = sum(w * math.exp(-0.07 * (days - d) / 30) for d, w in enumerate(weights))
        self.signup_scale = p.active_subscribers_end / survive
        self.growth = g
        self.ring_days = sorted(rng.randrange(5, max(6, days - 45)) for _ in range(p.fraud_rings))

    def schedule(self, when: int, kind: str, *args) -> None:
        self.counter += 1
        heapq.heappush(self.agenda, (when, self.counter, kind, args))

    # ------------------------------------------------------------------ the loop
    def run_until(self, end: int, conn=None, flush_every_days: int = 0) -> None:
        self.target_clock = max(self.target_clock, end)
        days_done = 0
        while self.clock < end:
            day_start = self.clock
            day_end = min(day_start + DAY, end)
            self.one_day(day_start, day_end)
            self.clock = day_end
            self.release_balance_transactions(day_end)
            days_done += 1
            if conn is not None and flush_every_days and days_done % flush_every_days == 0:
                self.flush(conn, final=False)

    def one_day(self, t0: int, t1: int) -> None:
        rng = self.rng
        self.fx.step()
        day = datetime.fromtimestamp(t0, timezone.utc).strftime("%Y-%m-%d")
        self.new_fx_rates.extend((day, c, str(rate)) for c, rate in sorted(self.fx.per_usd.items())
                                 if c != "HRK")  # HRK ended on 2023-01-01: no rates in our years
        d = (t0 - self.start) // DAY
        if datetime.fromtimestamp(t0, timezone.utc).day == 1:
            self.month_start(t0)
        while self.creator_join_days and self.creator_join_days[0] <= d:
            self.creator_join_days.pop(0)
            self.new_creator(t0 + rng.randrange(DAY))
        if d == 0:
            self.make_coupons(t0 + 3600)
        while self.ring_days and self.ring_days[0] <= d:
            self.ring_days.pop(0)
            self.fraud_ring(t0 + rng.randrange(DAY))
        # signups and tips at random moments of the day
        lam = self.signup_scale * math.exp(self.growth * d / 30) * season(t0)
        for _ in range(poisson(rng, lam)):
            self.schedule(t0 + rng.randrange(DAY), "signup")
        for _ in range(poisson(rng, self.preset.stolen_card_share * lam)):
            self.schedule(t0 + rng.randrange(DAY), "stolen_card")
        for _ in range(poisson(rng, self.preset.takeovers_per_1000_active_month * len(self.active) / 30_000)):
            self.schedule(t0 + rng.randrange(DAY), "takeover")
        for _ in range(poisson(rng, 0.004 * len(self.active) * season(t0) ** 2)):
            self.schedule(t0 + rng.randrange(DAY), "tip")
        for _ in range(poisson(rng, self.preset.card_testing_bursts_per_month / 30)):
            self.schedule(t0 + rng.randrange(DAY - 2400), "card_testing")
        self.schedule(t0 + 9 * 3600, "payouts")
        while self.agenda and self.agenda[0][0] < t1:
            when, _, kind, args = heapq.heappop(self.agenda)
            getattr(self, "do_" + kind)(max(when, t0), *args)

    # ------------------------------------------------------------------ creators
    def new_creator(self, t: int) -> Creator:
        rng = self.rng
        country = people.pick_country(rng, creator=True)
        currency = people.currency_of(country)
        name = people.person_name(rng)
        aid = self.ids.new("acct_", 16)
        bank = self.ids.new("ba_")
        schedule = rng.choices(("daily", "weekly", "monthly"), (45, 40, 15))[0]
        anchor = rng.randrange(7) if schedule == "weekly" else rng.randint(1, 28)
        verified = rng.random() > 0.08
        # local prices (monthly and yearly) in a few more currencies, so fans abroad pay in theirs
        currencies = [currency] + [c for c in ("usd", "eur", "gbp") if c != currency]
        others = [c.lower() for c in PLATFORM_CURRENCIES if c != "HRK" and c.lower() not in currencies]
        currencies += sorted(rng.sample(others, rng.randint(0, 3)))
        creator = Creator(aid, name, name.split()[0].upper()[:10], country, currency, t,
                          rng.paretovariate(1.16), schedule, anchor, bank, verified,
                          nice_minor(Decimal(25), currency), rng.choice(CUSTOM_USD), tuple(currencies))
        self.creator_index[aid] = len(self.creators)
        self.creators.append(creator)
        acct = template("account")
        requirements = {"alternatives": [], "current_deadline": None, "currently_due": [],
                        "disabled_reason": None, "errors": [], "eventually_due": [], "past_due": [],
                        "pending_verification": []}
        if not verified:
            requirements = {**requirements, "currently_due": ["individual.verification.document"],
                            "eventually_due": ["individual.verification.document"],
                            "current_deadline": t + 14 * DAY, "disabled_reason": "requirements.past_due"}
            if rng.random() < 0.8:
                self.schedule(t + rng.randint(5, 60) * DAY, "verify", len(self.creators) - 1)
        sched = {"delay_days": 2, "interval": schedule}
        if schedule == "weekly":
            sched["weekly_anchor"] = WEEKDAYS[anchor]
        if schedule == "monthly":
            sched["monthly_anchor"] = anchor
        settings = dict(acct["settings"])
        settings["payouts"] = {"debit_negative_balances": True, "schedule": sched, "statement_descriptor": None}
        settings["dashboard"] = {"display_name": name, "timezone": "Etc/UTC"}
        acct.update({
            "id": aid, "business_type": "individual",
            "business_profile": {**acct["business_profile"], "name": name, "mcc": "5815",
                                 "product_description": "Memberships for fans",
                                 "url": f"https://cashbook.example/c/{aid[5:13].lower()}"},
            "capabilities": {"card_payments": "active", "transfers": "active"},
            "charges_enabled": True, "country": country, "created": t, "default_currency": currency,
            "details_submitted": True,
            "email": f"{name.lower().replace(' ', '.')}@creators.example".encode("ascii", "ignore").decode(),
            "external_accounts": list_object([{"id": bank, "object": "bank_account", "account": aid,
                                               "country": country, "currency": currency,
                                               "last4": people.bank_last4(rng), "status": "new",
                                               "default_for_currency": True}],
                                             f"/v1/accounts/{aid}/external_accounts"),
            "payouts_enabled": verified, "requirements": requirements, "settings": settings,
            "tos_acceptance": {"date": t, "ip": people.ip_address(rng), "user_agent": None},
            "metadata": {"creator_name": name},
        })
        self.add(acct)
        self.balance(aid, currency)
        self.tax_profile(creator)
        self.make_products(t, creator)
        return creator

    def tax_profile(self, creator: Creator) -> None:
        rng = self.rng
        addr = people.address(rng, creator.country)
        is_us = creator.country == "US"
        tin_type = tin = None
        backup = 0
        if is_us:
            if rng.random() < 0.8:
                tin_type, tin = "SSN", people.ssn(rng)
            else:
                tin_type, tin = "EIN", people.ein(rng)
            if rng.random() < 0.03:
                tin_type, tin, backup = None, None, 1
            elif rng.random() < 0.02:
                backup = 1
        legal = creator.name if tin_type != "EIN" else f"{creator.name.split()[1]} Media LLC"
        self.new_tax_profiles.append((creator.id, legal, tin_type, tin, int(is_us), addr["line1"],
                                      addr["city"], addr["state"], addr["postal_code"], creator.country, backup))

    def make_products(self, t: int, creator: Creator) -> None:
        for tier in TIERS:
            pid = self.ids.new("prod_", 14)
            prod = template("product")
            monthly = None
            prices = []
            usd = creator.custom_usd if tier == "custom" else TIER_USD[tier]
            for currency in creator.currencies:
                full = currency in (creator.currency, "usd")
                for interval in (INTERVALS if full else ("month", "year")):
                    price_id = self.ids.new("price_")
                    amount = nice_minor(usd * monthly_factor(interval), currency)
                    creator.prices[(tier, interval, currency)] = (price_id, pid, amount, t)
                    prices.append(self.price_payload(creator, tier, interval, currency))
                    if interval == "month" and currency == creator.currency:
                        monthly = price_id
            prod.update({"id": pid, "active": True, "created": t, "default_price": monthly,
                         "description": f"{TIER_NAMES[tier]} membership of {creator.name}",
                         "name": f"{creator.name} — {TIER_NAMES[tier]}", "tax_code": "txcd_10000000",
                         "updated": t, "metadata": {"creator": creator.id, "tier": tier}})
            self.add(prod)
            for price in prices:
                self.add(price)

    def price_payload(self, creator: Creator, tier: str, interval: str, currency: str) -> dict:
        price_id, pid, amount, created = creator.prices[(tier, interval, currency)]
        stripe_interval, count, _ = INTERVALS[interval]
        price = template("price")
        price.update({"id": price_id, "active": True, "billing_scheme": "per_unit", "created": created,
                      "currency": currency, "custom_unit_amount": None, "lookup_key": None,
                      "metadata": {"creator": creator.id, "tier": tier},
                      "nickname": f"{TIER_NAMES[tier]} {interval}ly" if interval != "quarter" else f"{TIER_NAMES[tier]} quarterly",
                      "product": pid, "recurring": {"interval": stripe_interval, "interval_count": count,
                                                    "meter": None, "trial_period_days": None,
                                                    "usage_type": "licensed"},
                      "tax_behavior": "exclusive", "tiers_mode": None, "transform_quantity": None,
                      "type": "recurring", "unit_amount": amount, "unit_amount_decimal": str(amount)})
        return price

    def plan_payload(self, price: dict) -> dict:
        rec = price["recurring"]
        return {"id": price["id"], "object": "plan", "active": True, "amount": price["unit_amount"],
                "amount_decimal": price["unit_amount_decimal"], "billing_scheme": "per_unit",
                "created": price["created"], "currency": price["currency"], "interval": rec["interval"],
                "interval_count": rec["interval_count"], "livemode": False, "metadata": price["metadata"],
                "meter": None, "nickname": price["nickname"], "product": price["product"],
                "tiers_mode": None, "transform_usage": None, "trial_period_days": None,
                "usage_type": "licensed"}

    def do_verify(self, t: int, index: int) -> None:
        creator = self.creators[index]
        creator.payouts_enabled = True
        acct = self.get(creator.id)
        req = {**acct["requirements"], "currently_due": [], "eventually_due": [], "current_deadline": None,
               "disabled_reason": None}
        self.update(acct, t, {"payouts_enabled": True, "requirements": req})

    def month_start(self, t: int) -> None:
        """Commission tier by active subscribers at the start of the month; monthly bonuses."""
        for creator in self.creators:
            creator.rate = next(rate for floor, rate in COMMISSION if creator.active >= floor)
        ranked = sorted(range(len(self.creators)), key=lambda i: (-self.creators[i].active, i))
        chosen = ranked[: max(1, len(ranked) // 40)]
        if self.creators:
            chosen += [self.rng.randrange(len(self.creators)) for _ in range(max(1, len(ranked) // 100))]
        for i in sorted(set(chosen)):
            creator = self.creators[i]
            if creator.active == 0 and self.rng.random() < 0.5:
                continue
            amount = self.rng.choice((10000, 15000, 25000, 50000))
            self.transfer(t + 7200 + i, creator, amount, "usd", kind="bonus",
                          description="Creator bonus")

    def pick_creator(self) -> int:
        """A creator for a new fan: popularity is Pareto-distributed, and the first creator is a
        star with ~16% of signups, so the bigger worlds reach the 3% (demo) and 2% (large)
        commission tiers."""
        n = len(self.creators)
        if self.rng.random() < 0.16:
            return 0
        if self._cum_n != n:
            total, cum = 0.0, []
            for c in self.creators:
                total += c.popularity
                cum.append(total)
            self._cum, self._cum_n = cum, n
        x = self.rng.random() * self._cum[-1]
        lo, hi = 0, n - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self._cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return lo

    # ------------------------------------------------------------------ customers
    def new_customer(self, t: int, *, country: str | None = None, card_country: str | None = None,
                     ip: str | None = None, ip_country: str | None = None, card: dict | None = None,
                     ring: int | None = None, fraud: str | None = None) -> int:
        rng = self.rng
        country = country or people.pick_country(rng, creator=False)
        if card_country is None:
            card_country = country if rng.random() > 0.05 else people.pick_country(rng, creator=False)
        if ip_country is None:
            ip_country = country if rng.random() > 0.08 else people.pick_country(rng, creator=False)
        name = people.person_name(rng)
        cid = self.ids.new("cus_", 14)
        first, last = name.lower().split()
        email = f"{first}.{last}{rng.randint(1, 999)}@fans.example".encode("ascii", "ignore").decode()
        addr = people.address(rng, country)
        tax = None
        tax_ids = []
        if country in people.VAT_RATES:
            tax = ("vat", country, people.VAT_RATES[country], self.tax_rates[country])
            if country in people.VAT_COUNTRIES and rng.random() < 0.08:
                valid = rng.random() < 0.75
                value = people.vat_number(rng, country, valid=valid)
                type_ = "gb_vat" if country == "GB" else "eu_vat"
                tax_ids.append({"id": self.ids.new("txi_"), "object": "tax_id", "country": country,
                                "created": t, "customer": cid, "customer_account": None, "livemode": False,
                                "owner": {"customer": cid, "type": "customer", "customer_account": None},
                                "type": type_, "value": value,
                                "verification": {"status": "verified" if valid else "unverified",
                                                 "verified_address": None,
                                                 "verified_name": name if valid else None}})
                if valid:
                    tax = ("reverse", country, self.tax_rates[country], value, type_)
        pm = self.ids.new("pm_")
        customer = Customer(cid, name, email, country, people.currency_of(country), addr,
                            card or people.card(rng, card_country), pm, ip or people.ip_address(rng),
                            ip_country, tax, self.ids.hex(8), 0, ring,
                            tuple((x["type"], x["value"]) for x in tax_ids), fraud=fraud)
        obj = template("customer")
        obj.update({"id": cid, "address": addr, "balance": 0, "created": t, "currency": None,
                    "email": email, "invoice_prefix": customer.prefix, "name": name,
                    "invoice_settings": {"custom_fields": None, "default_payment_method": pm, "footer": None,
                                         "rendering_options": None},
                    "metadata": {"signup_ip": customer.ip, "ip_country": ip_country},
                    "tax_exempt": "reverse" if tax and tax[0] == "reverse" else "none",
                    "tax_ids": list_object(tax_ids, f"/v1/customers/{cid}/tax_ids"),
                    "preferred_locales": []})
        self.add(obj)
        self.customers.append(customer)
        if ring is not None:
            self.label(cid, f"fraud_ring_{ring}")
        if fraud is not None:
            self.label(cid, fraud)
        return len(self.customers) - 1

    # ------------------------------------------------------------------ coupons
    def make_coupons(self, t: int) -> None:
        specs = (("WELCOME10", 10, "once", None), ("FIRSTMONTH50", 50, "once", None),
                 ("SUMMER25", 25, "repeating", 3), ("FRIENDS15", 15, "repeating", 6),
                 ("FOUNDINGFAN20", 20, "forever", None), ("HOLIDAY30", 30, "repeating", 2))
        for code, pct, duration, months in specs:
            coupon = template("coupon")
            cid = self.ids.new("co_", 8)
            coupon.update({"id": cid, "amount_off": None, "created": t, "currency": None,
                           "duration": duration, "duration_in_months": months,
                           "name": f"{pct}% off", "percent_off": pct, "times_redeemed": 0, "valid": True})
            self.add(coupon)
            promo = template("promotion_code")
            pid = self.ids.new("promo_")
            promo.update({"id": pid, "active": True, "code": code, "created": t,
                          "promotion": {"coupon": cid, "type": "coupon"},
                          "restrictions": {"first_time_transaction": code in ("WELCOME10", "FIRSTMONTH50"),
                                           "minimum_amount": None, "minimum_amount_currency": None}})
            self.add(promo)
            self.coupons.append((cid, pid, pct, duration, months))

    # ------------------------------------------------------------------ subscriptions
    def do_signup(self, t: int, customer: int | None = None, creator: int | None = None,
                  tier: str | None = None, interval: str | None = None) -> None:
        rng = self.rng
        if not self.creators:
            return
        if creator is None:
            creator = self.pick_creator()
        if customer is None:
            if self.customers and rng.random() < 0.2:
                customer = rng.randrange(len(self.customers))
                if self.customers[customer].fake:
                    customer = self.new_customer(t)
            else:
                customer = self.new_customer(t)
        cust, cr = self.customers[customer], self.creators[creator]
        tier = tier or rng.choices(TIERS, TIER_WEIGHTS)[0]
        interval = interval or rng.choices(list(INTERVAL_WEIGHTS), list(INTERVAL_WEIGHTS.values()))[0]
        currency = next(c for c in (cust.currency, "usd", cr.currency) if (tier, interval, c) in cr.prices)
        price_id, product, amount, _ = cr.prices[(tier, interval, currency)]
        if cust.billing_currency is None:  # Stripe fixes a customer's currency at the first subscription
            cust.billing_currency = currency
            self.update(self.get(cust.id), t, {"currency": currency})
        sid = self.ids.new("sub_")
        # the first invoice is made in the same request: customer.subscription.created shows it
        first_invoice = self.ids.new("in_")
        trial = not cust.fake and rng.random() < 0.15
        dt = datetime.fromtimestamp(t, timezone.utc)
        sub = Sub(sid, customer, creator, self.ids.new("si_", 14), tier, interval, currency, price_id,
                  product, amount, dt.day, t, 0, "trialing" if trial else "incomplete")
        sub.period_end = t + 7 * DAY if trial else period_end(t, interval, sub.anchor_day)
        if not cust.fake and rng.random() < 0.12 and self.coupons:
            cid, pid, pct, duration, months = rng.choice(self.coupons)
            end = None
            if duration == "repeating":
                end = period_end(t, "month", dt.day) if months == 1 else None
                end = t + months * 30 * DAY if end is None else end
            sub.discount = [self.ids.new("di_"), cid, pct, duration, end, False, pid]
        self.subs[sid] = sub
        price = self.price_payload(cr, tier, interval, currency)
        obj = template("subscription")
        obj.update({
            "id": sid, "application": self.application_id, "application_fee_percent": None,
            "automatic_tax": {"enabled": False, "liability": None, "disabled_reason": None},
            "billing_cycle_anchor": sub.period_end if trial else t,
            "collection_method": "charge_automatically", "created": t, "currency": currency,
            "customer": cust.id, "days_until_due": None, "default_payment_method": cust.pm,
            "description": None, "discounts": self.discount_objects(sub, cust, t),
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
            "items": self.items_payload(sub, price, t),
            "latest_invoice": first_invoice, "metadata": {"creator": cr.id, "tier": sub.tier},
            "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                                 "save_default_payment_method": "on_subscription"},
            "start_date": t, "status": sub.status,
            "transfer_data": {"amount_percent": None, "destination": cr.id},
            "trial_end": sub.period_end if trial else None, "trial_start": t if trial else None,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        })
        self.add(obj)
        self.activate(sub)
        lines = [self.line_spec(sub, 0 if trial else amount, t, sub.period_end,
                                f"Trial period for {TIER_NAMES[tier]}" if trial else self.line_description(sub))]
        inv = self.invoice(t, sub, lines, "subscription_create", inv_id=first_invoice)
        if trial:
            sub.trial_cancel = rng.random() < 0.25
            self.after_period_start(t, sub)
        else:
            ok = self.collect(t, sub, inv, first=True)
            if not ok:
                return
        self.schedule(sub.period_end, "renew", sid)

    def items_payload(self, sub: Sub, price: dict, t: int) -> dict:
        item = template("subscription_item")
        item.update({"id": sub.item, "billing_thresholds": None, "created": t, "discounts": [],
                     "current_period_start": sub.period_start, "current_period_end": sub.period_end,
                     "metadata": {}, "plan": self.plan_payload(price), "price": price, "quantity": 1,
                     "subscription": sub.id, "tax_rates": []})
        return list_object([item], f"/v1/subscription_items?subscription={sub.id}")

    def discount_objects(self, sub: Sub, cust: Customer, t: int) -> list:
        if not sub.discount:
            return []
        did, cid, pct, duration, end, _, pid = sub.discount
        disc = template("discount")
        disc.update({"id": did, "checkout_session": None, "customer": cust.id, "end": end,
                     "invoice": None, "invoice_item": None, "promotion_code": pid, "start": t,
                     "subscription": sub.id, "subscription_item": None,
                     "source": {"coupon": cid, "type": "coupon"}, "customer_account": None})
        return [disc]

    def line_spec(self, sub: Sub, amount: int, start: int, end: int, description: str, *,
                  proration: bool = False, price: str | None = None, product: str | None = None) -> dict:
        return {"amount": amount, "start": start, "end": end, "description": description,
                "proration": proration, "price": price or sub.price, "product": product or sub.product}

    def activate(self, sub: Sub) -> None:
        if sub.id not in self.active_pos:
            self.active_pos[sub.id] = len(self.active)
            self.active.append(sub.id)

    def deactivate(self, sub: Sub) -> None:
        pos = self.active_pos.pop(sub.id, None)
        if pos is not None:
            last = self.active.pop()
            if last != sub.id:
                self.active[pos] = last
                self.active_pos[last] = pos
        if sub.counted:
            self.creators[sub.creator].active -= 1
            sub.counted = False

    def invoice(self, t: int, sub: Sub, specs: list, reason: str, *, void: bool = False,
                inv_id: str | None = None) -> dict:
        """An invoice with its lines: discount, VAT (or reverse charge) per line; status open.
        The subscription's `latest_invoice` moves to it (customer.subscription.updated)."""
        cust, cr = self.customers[sub.customer], self.creators[sub.creator]
        inv_id = inv_id or self.ids.new("in_")
        disc = sub.discount
        pct = None
        if disc and reason != "subscription_update":
            did, cid, p, duration, end, used, _ = disc
            if duration == "forever" or (duration == "repeating" and end and t < end) or (duration == "once" and not used):
                pct = p
                if duration == "once" and any(s["amount"] > 0 for s in specs):
                    disc[5] = True
        lines, subtotal, discount_total, taxes_total, taxable_total = [], 0, 0, 0, 0
        tax = cust.tax
        for spec in specs:
            amount = spec["amount"]
            d_amount = half_up(Decimal(amount) * Decimal(pct) / 100) if pct and amount > 0 and not spec["proration"] else 0
            net = amount - d_amount
            line_taxes = []
            if tax is not None:
                if tax[0] == "vat":
                    t_amount = half_up(Decimal(net) * tax[2])
                    line_taxes = [{"amount": t_amount, "tax_behavior": "exclusive",
                                   "tax_rate_details": {"tax_rate": tax[3]}, "taxability_reason": "standard_rated",
                                   "taxable_amount": net, "type": "tax_rate_details"}]
                else:
                    t_amount = 0
                    line_taxes = [{"amount": 0, "tax_behavior": "exclusive",
                                   "tax_rate_details": {"tax_rate": tax[2]}, "taxability_reason": "reverse_charge",
                                   "taxable_amount": net, "type": "tax_rate_details"}]
                taxes_total += t_amount
            taxable_total += net
            subtotal += amount
            discount_total += d_amount
            line = template("line_item")
            line.update({
                "id": self.ids.new("il_"), "amount": amount, "currency": sub.currency,
                "description": spec["description"],
                "discount_amounts": [{"amount": d_amount, "discount": disc[0]}] if d_amount else [],
                "discountable": not spec["proration"], "discounts": [], "invoice": inv_id,
                "metadata": {}, "period": {"end": spec["end"], "start": spec["start"]},
                "parent": {"invoice_item_details": None, "subscription_item_details": {
                    "invoice_item": self.ids.new("ii_") if spec["proration"] else None,
                    "proration": spec["proration"], "proration_details": {"credited_items": None},
                    "subscription": sub.id, "subscription_item": sub.item}, "type": "subscription_item_details"},
                "pricing": {"price_details": {"price": spec["price"], "product": spec["product"]},
                            "type": "price_details", "unit_amount_decimal": str(amount)},
                "quantity": 1, "quantity_decimal": "1", "subscription": sub.id, "subtotal": amount,
                "taxes": line_taxes, "pretax_credit_amounts": [],
            })
            lines.append(line)
        total_excl = subtotal - discount_total
        total = total_excl + taxes_total
        total_taxes = []
        if tax is not None:
            total_taxes = [{"amount": taxes_total, "tax_behavior": "exclusive",
                            "tax_rate_details": {"tax_rate": tax[3] if tax[0] == "vat" else tax[2]},
                            "taxability_reason": "standard_rated" if tax[0] == "vat" else "reverse_charge",
                            "taxable_amount": taxable_total, "type": "tax_rate_details"}]
        cust.seq += 1
        inv = template("invoice")
        inv.update({
            "id": inv_id, "account_country": "US", "account_name": self.platform_name,
            "account_tax_ids": None, "amount_due": max(total, 0), "amount_paid": 0, "amount_remaining": max(total, 0),
            "amount_shipping": 0, "application": self.application_id, "attempt_count": 0, "attempted": False,
            "auto_advance": True, "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None,
                                                    "provider": None, "status": None},
            "billing_reason": reason, "collection_method": "charge_automatically", "created": t,
            "currency": sub.currency, "customer": cust.id, "customer_address": dict(cust.address),
            "customer_email": cust.email, "customer_name": cust.name, "customer_phone": None,
            "customer_tax_exempt": "reverse" if tax and tax[0] == "reverse" else "none",
            "customer_tax_ids": [{"type": kind, "value": value} for kind, value in cust.tax_ids],
            "default_payment_method": None, "description": None,
            "discounts": [disc[0]] if discount_total else [], "effective_at": t,
            # Stripe never charges a negative total: the credit goes to the customer's balance
            "ending_balance": min(total, 0),
            "hosted_invoice_url": f"https://invoice.stripe.com/i/{inv_id}", "invoice_pdf": f"https://pay.stripe.com/invoice/{inv_id}/pdf",
            "issuer": {"type": "self"}, "lines": list_object(lines[:10], f"/v1/invoices/{inv_id}/lines", has_more=len(lines) > 10),
            "metadata": {"creator": cr.id}, "number": f"{cust.prefix}-{cust.seq:04d}",
            "on_behalf_of": None,
            "parent": {"quote_details": None, "subscription_details": {"metadata": {"creator": cr.id, "tier": sub.tier},
                                                                       "subscription": sub.id}, "type": "subscription_details"},
            "period_end": t, "period_start": t,
            "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0,
            "rendering": None, "starting_balance": 0, "statement_descriptor": None, "status": "open",
            "status_transitions": {"finalized_at": t, "marked_uncollectible_at": None, "paid_at": None, "voided_at": None},
            "subtotal": subtotal, "subtotal_excluding_tax": subtotal, "total": total,
            "total_discount_amounts": [{"amount": discount_total, "discount": disc[0]}] if discount_total else [],
            "total_excluding_tax": total_excl, "total_pretax_credit_amounts": [], "total_taxes": total_taxes,
            "customer_account": None,
        })
        self.add(inv)
        for line in lines:
            self.add(line, parent=inv_id, event=None, created=t)
        self.emit("invoice.finalized", inv, t)
        sub_obj = self.get(sub.id)
        self.update(sub_obj, t, {"latest_invoice": inv_id})
        if void:
            self.update(inv, t, {"status": "void", "amount_remaining": 0,
                                 "status_transitions": {**inv["status_transitions"], "voided_at": t}},
                        event="invoice.voided")
        elif total <= 0:
            self.mark_paid(t, inv, None)
        return inv

    def mark_paid(self, t: int, inv: dict, pi: dict | None) -> None:
        self.update(inv, t, {"status": "paid", "amount_paid": inv["amount_due"], "amount_remaining": 0,
                             "attempted": True, "attempt_count": inv["attempt_count"] + (1 if pi else 0),
                             "next_payment_attempt": None,
                             "status_transitions": {**inv["status_transitions"], "paid_at": t}},
                    event="invoice.paid")
        if pi is not None:
            self.emit("invoice.payment_succeeded", inv, t)
            ip = template("invoice_payment")
            ip.update({"id": self.ids.new("inpay_"), "amount_paid": inv["amount_due"],
                       "amount_requested": inv["amount_due"], "created": t, "currency": inv["currency"],
                       "invoice": inv["id"], "is_default": True,
                       "payment": {"payment_intent": pi["id"], "type": "payment_intent"},
                       "status": "paid", "status_transitions": {"canceled_at": None, "paid_at": t}})
            self.add(ip, event="invoice_payment.paid")

    def decline_for(self, cust: Customer, *, retry: bool) -> tuple | None:
        rng = self.rng
        if cust.blocked:
            return rng.choice(BLOCKED_DECLINES)
        p = 0.035 + (0.08 if cust.card["funding"] == "prepaid" else 0)
        if retry:
            p = 0.5
        if rng.random() < p:
            return rng.choice(DECLINES)
        return None

    def risk_for(self, cust: Customer) -> int:
        base = 8 + self.rng.randrange(40)
        if cust.card["country"] != cust.country:
            base += 15
        if cust.ip_country != cust.country:
            base += 10
        if cust.fake:
            base += 20
        return min(base, 99)

    def collect(self, t: int, sub: Sub, inv: dict, *, first: bool = False, retry: bool = False) -> bool:
        """Charge an open invoice; on failure start (or continue) dunning."""
        cust, cr = self.customers[sub.customer], self.creators[sub.creator]
        pi = self.get(sub.open_pi) if retry and sub.open_pi else None
        tax = inv["total_taxes"][0]["amount"] if inv["total_taxes"] else 0
        if pi is None:
            pi = self.payment_intent(t, cust, inv["amount_due"], inv["currency"], cr.id,
                                     description="Subscription creation" if first else "Subscription update",
                                     metadata={"kind": "subscription", "creator": cr.id, "invoice": inv["id"]},
                                     app_fee=None)
        decline = self.decline_for(cust, retry=retry)
        ch, info = self.charge(t, pi, cust, cr, decline=decline, tax=tax, invoice=inv["id"],
                               risk=self.risk_for(cust))
        sub_obj = self.get(sub.id)
        if info is not None:
            self.mark_paid(t, inv, pi)
            sub.fails, sub.open_invoice, sub.open_pi = 0, None, None
            if sub.status != "active":
                sub.status = "active"
                self.update(sub_obj, t, {"status": "active"})
            if not sub.counted:
                sub.counted = True
                cr.active += 1
            self.after_charge(t, info, cust, sub)
            if first:
                self.after_period_start(t, sub)
            return True
        sub.fails += 1
        self.update(inv, t, {"attempt_count": inv["attempt_count"] + 1, "attempted": True,
                             "next_payment_attempt": t + 3 * DAY if not first and sub.fails < 4 else None},
                    event="invoice.payment_failed")
        if first:
            sub.status = "incomplete"
            self.schedule(t + 82800, "expire", sub.id, inv["id"])
            return False
        sub.open_invoice, sub.open_pi = inv["id"], pi["id"]
        if sub.fails >= 4:
            self.update(inv, t, {"status": "uncollectible",
                                 "status_transitions": {**inv["status_transitions"], "marked_uncollectible_at": t}},
                        event="invoice.marked_uncollectible")
            self.end_subscription(t, sub, "payment_failed")
            return False
        if sub.status != "past_due":
            sub.status = "past_due"
            self.update(sub_obj, t, {"status": "past_due"})
        self.schedule(t + (3, 2, 2)[sub.fails - 1] * DAY, "retry", sub.id, inv["id"])
        return False

    def do_expire(self, t: int, sid: str, inv_id: str) -> None:
        """A first payment that never succeeded: the subscription expires after 23 hours."""
        sub = self.subs[sid]
        sub.status = "incomplete_expired"
        self.update(self.get(sid), t, {"status": "incomplete_expired", "ended_at": t})
        inv = self.get(inv_id)
        self.update(inv, t, {"status": "void", "status_transitions": {**inv["status_transitions"], "voided_at": t}},
                    event="invoice.voided")
        self.deactivate(sub)

    def do_retry(self, t: int, sid: str, inv_id: str) -> None:
        sub = self.subs[sid]
        if sub.status != "past_due" or sub.open_invoice != inv_id:
            return
        self.collect(t, sub, self.get(inv_id), retry=True)

    def end_subscription(self, t: int, sub: Sub, reason: str, *, requested_at: int | None = None) -> None:
        if sub.status == "canceled":
            return
        sub.status = "canceled"
        sub_obj = self.get(sub.id)
        self.update(sub_obj, t, {"status": "canceled", "ended_at": t, "canceled_at": requested_at or t,
                                 "cancellation_details": {"comment": None, "feedback": None, "reason": reason}},
                    event="customer.subscription.deleted")
        self.deactivate(sub)
        if reason == "cancellation_requested" and not self.customers[sub.customer].fake and self.rng.random() < 0.18:
            self.schedule(t + self.rng.randint(20, 150) * DAY, "reactivate", sub.customer, sub.creator, sub.tier, sub.interval)

    def do_reactivate(self, t: int, customer: int, creator: int, tier: str, interval: str) -> None:
        self.do_signup(t, customer=customer, creator=creator, tier=tier, interval=interval)

    def do_renew(self, t: int, sid: str) -> None:
        sub = self.subs[sid]
        if sub.status in ("canceled", "incomplete_expired", "incomplete") or t < sub.period_end:
            return
        if sub.cancel_at_end or (sub.status == "trialing" and sub.trial_cancel):
            self.end_subscription(t, sub, "cancellation_requested")
            return
        if sub.status == "past_due":  # still in dunning: the period rolls on, the debt stays
            pass
        start, end = sub.period_end, period_end(sub.period_end, sub.interval, sub.anchor_day)
        sub.period_start, sub.period_end = start, end
        sub_obj = self.get(sid)
        items = sub_obj["items"]
        item = dict(items["data"][0])
        item.update({"current_period_start": start, "current_period_end": end})
        changes = {"items": {**items, "data": [item]}}
        was_trial = sub.status == "trialing"
        if was_trial:
            changes["status"] = "active"
            sub.status = "active"
        self.update(sub_obj, t, changes)
        paused = sub.paused_until > t
        specs = [self.line_spec(sub, sub.amount, start, end, self.line_description(sub))]
        if sub.pending and not paused:
            specs = sub.pending + specs
            sub.pending = []
        if sub.status == "past_due":
            inv = self.invoice(t, sub, specs, "subscription_cycle", void=True)
        elif paused:
            self.invoice(t, sub, specs, "subscription_cycle", void=True)
        else:
            inv = self.invoice(t, sub, specs, "subscription_cycle")
            if inv["status"] == "open":
                self.collect(t, sub, inv)
        if sub.status not in ("canceled",):
            self.after_period_start(t, sub)
            self.schedule(end, "renew", sid)

    def after_period_start(self, t: int, sub: Sub) -> None:
        """Decide what the fan will do during this period: cancel, change tier, pause."""
        rng = self.rng
        length = sub.period_end - sub.period_start
        months = length / (30 * DAY)
        cust = self.customers[sub.customer]
        if cust.fake:
            return
        churn = 1 - (1 - 0.045) ** months
        x = rng.random()
        when = sub.period_start + int(rng.random() * length * 0.95) + 60
        if x < churn:
            self.schedule(when, "cancel_req", sub.id)
        elif x < churn + 0.03 * min(months, 3):
            self.schedule(when, "change_tier", sub.id, +1)
        elif x < churn + 0.045 * min(months, 3):
            self.schedule(when, "change_tier", sub.id, -1)
        elif x < churn + 0.06 * min(months, 3) and sub.interval in ("month", "week"):
            self.schedule(when, "pause", sub.id)

    def do_cancel_req(self, t: int, sid: str) -> None:
        sub = self.subs[sid]
        if sub.status not in ("active", "trialing") or sub.cancel_at_end:
            return
        if self.rng.random() < 0.2:
            self.end_subscription(t, sub, "cancellation_requested")
            return
        sub.cancel_at_end = True
        self.update(self.get(sid), t, {"cancel_at_period_end": True, "cancel_at": sub.period_end,
                                       "canceled_at": t,
                                       "cancellation_details": {"comment": None, "feedback": self.rng.choice(
                                           ("too_expensive", "unused", "other", "switched_service", None)),
                                           "reason": "cancellation_requested"}})

    def do_pause(self, t: int, sid: str) -> None:
        sub = self.subs[sid]
        if sub.status != "active" or sub.cancel_at_end:
            return
        resumes = sub.period_end + self.rng.choice((1, 2)) * (sub.period_end - sub.period_start)
        sub.paused_until = resumes
        self.update(self.get(sid), t, {"pause_collection": {"behavior": "void", "resumes_at": resumes}})
        self.schedule(resumes, "resume", sid)

    def do_resume(self, t: int, sid: str) -> None:
        sub = self.subs[sid]
        sub.paused_until = 0
        if sub.status == "canceled":
            return
        self.update(self.get(sid), t, {"pause_collection": None})

    def do_change_tier(self, t: int, sid: str, step: int) -> None:
        sub = self.subs[sid]
        if sub.status != "active" or sub.tier not in LADDER or sub.cancel_at_end or sub.paused_until > t:
            return
        pos = LADDER.index(sub.tier) + step
        if not 0 <= pos < len(LADDER):
            return
        cr = self.creators[sub.creator]
        new_tier = LADDER[pos]
        price_id, product, amount, _ = cr.prices[(new_tier, sub.interval, sub.currency)]
        frac = Decimal(sub.period_end - t) / Decimal(sub.period_end - sub.period_start)
        credit = -half_up(Decimal(sub.amount) * frac)
        debit = half_up(Decimal(amount) * frac)
        old_name, new_name = TIER_NAMES[sub.tier], TIER_NAMES[new_tier]
        specs = [self.line_spec(sub, credit, t, sub.period_end, f"Unused time on {old_name} after {self.datestr(t)}", proration=True),
                 self.line_spec(sub, debit, t, sub.period_end, f"Remaining time on {new_name} after {self.datestr(t)}",
                                proration=True, price=price_id, product=product)]
        old_amount = sub.amount
        sub.tier, sub.price, sub.product, sub.amount = new_tier, price_id, product, amount
        price = self.price_payload(cr, new_tier, sub.interval, sub.currency)
        sub_obj = self.get(sid)
        self.update(sub_obj, t, {"items": self.items_payload(sub, price, sub_obj["items"]["data"][0]["created"]),
                                 "metadata": {"creator": cr.id, "tier": new_tier}})
        if step > 0:
            inv = self.invoice(t, sub, specs, "subscription_update")
            if inv["status"] == "open":
                self.collect(t, sub, inv)
        elif amount + credit + debit > 0 and amount > (old_amount - amount) * frac:
            sub.pending = specs

    @staticmethod
    def line_description(sub: Sub) -> str:
        """Stripe's wording: `1 × Fan (at €14.00 / month)`."""
        major = to_major(sub.amount, sub.currency)
        per = {"week": "week", "month": "month", "quarter": "3 months", "year": "year"}[sub.interval]
        return f"1 × {TIER_NAMES[sub.tier]} (at {major} {sub.currency.upper()} / {per})"

    @staticmethod
    def datestr(t: int) -> str:
        return datetime.fromtimestamp(t, timezone.utc).strftime("%d %b %Y")

    # ------------------------------------------------------------------ after a payment
    def after_charge(self, t: int, info: ChargeInfo, cust: Customer, sub: Sub | None) -> None:
        """Decide this payment's future: refund, inquiry, dispute (with or without an EFW)."""
        rng = self.rng
        if cust.ring is not None:
            self.label(info.charge, f"fraud_ring_{cust.ring}")
            if rng.random() < 0.8:
                when = t + rng.randint(10, 40) * DAY + rng.randrange(DAY)
                if rng.random() < 0.6:
                    self.schedule(max(t + DAY, when - rng.randint(2, 8) * DAY), "efw", info,
                                  rng.choice(("made_with_stolen_card", "unauthorized_use_of_card")))
                self.schedule(when, "dispute", info, "fraudulent", False, rng.random() < 0.1)
            return
        if cust.fraud is not None:
            self.label(info.charge, cust.fraud)
            self.fraud_reports(t, info)
            return
        x = rng.random()
        if x < 0.012:
            amount = info.amount if rng.random() < 0.75 else max(1, info.amount // 2)
            self.schedule(t + rng.randint(1, 20) * DAY + rng.randrange(DAY), "refund", info, amount,
                          "requested_by_customer", info.invoice is not None and rng.random() < 0.35)
        elif x < 0.0159:
            # a fan's own payment disputed (0.39%; 0.35% for other reasons, as before): "fraudulent"
            # here is friendly fraud (the fan forgot or regrets it), and looks like any payment
            reason = rng.choices(("fraudulent", "subscription_canceled", "product_not_received",
                                  "unrecognized", "general", "credit_not_processed"),
                                 (ORDINARY_FRAUD_DISPUTE_WEIGHT, 25, 15, 15, 10, 5))[0]
            inquiry = rng.random() < 0.15
            when = t + rng.randint(5, 60) * DAY + rng.randrange(DAY)
            if reason == "fraudulent":
                self.label(info.charge, "friendly_fraud")
                if rng.random() < 0.5:
                    self.schedule(max(t + DAY, when - rng.randint(1, 10) * DAY), "efw", info, "unauthorized_use_of_card")
            self.schedule(when, "dispute", info, reason, inquiry, rng.random() < (0.25 if reason == "fraudulent" else 0.45))
        elif x < 0.0159 + ORDINARY_EFW_REFUND_RATE:
            self.label(info.charge, "friendly_fraud")
            self.schedule(t + rng.randint(2, 20) * DAY, "efw_refund", info)

    def fraud_reports(self, t: int, info: ChargeInfo) -> None:
        """What follows a fraudulent payment once the cardholder sees it: usually an early fraud
        warning within days, then a fraudulent dispute (or the platform refunds first); some
        cardholders never notice."""
        rng = self.rng
        if rng.random() < 0.1:
            return
        dispute_at = t + rng.randint(7, 45) * DAY + rng.randrange(DAY)
        if rng.random() < 0.7:
            efw_at = t + rng.randint(1, 10) * DAY + rng.randrange(DAY)
            if rng.random() < 0.2:
                self.schedule(efw_at, "efw_refund", info)
                return
            self.schedule(efw_at, "efw", info, rng.choice(("made_with_stolen_card", "unauthorized_use_of_card")))
            dispute_at = max(dispute_at, efw_at + DAY)
        self.schedule(dispute_at, "dispute", info, "fraudulent", False, rng.random() < 0.1)

    def do_refund(self, t: int, info: ChargeInfo, amount: int, reason: str, credit_note: bool) -> None:
        self.refund(t, info, amount, reason=reason, credit_note=credit_note)

    def do_efw(self, t: int, info: ChargeInfo, fraud_type: str) -> None:
        self.early_fraud_warning(t, info, fraud_type)

    def do_efw_refund(self, t: int, info: ChargeInfo) -> None:
        """An EFW with no dispute: the platform refunds the payment as fraudulent."""
        self.early_fraud_warning(t, info, "misc")
        self.schedule(t + 3600, "refund", info, info.amount, "fraudulent", False)

    def do_dispute(self, t: int, info: ChargeInfo, reason: str, inquiry: bool, won: bool) -> None:
        dp = self.open_dispute(t, info, reason, inquiry=inquiry)
        if dp is None:
            return
        rng = self.rng
        contest = inquiry or won or rng.random() < 0.5
        if contest:
            self.schedule(t + rng.randint(2, 7) * DAY, "evidence", dp["id"])
        self.schedule(t + rng.randint(20, 75) * DAY, "dispute_close", dp["id"], info, won and contest)

    def do_evidence(self, t: int, dispute_id: str) -> None:
        self.submit_evidence(t, dispute_id)

    def do_dispute_close(self, t: int, dispute_id: str, info: ChargeInfo, won: bool) -> None:
        self.close_dispute(t, dispute_id, info, won)

    # ------------------------------------------------------------------ tips
    def tip_amount(self, currency: str) -> int:
        return nice_minor(self.rng.choice(TIP_USD), currency)

    def do_tip(self, t: int) -> None:
        if not self.active:
            return
        sub = self.subs[self.active[self.rng.randrange(len(self.active))]]
        cust, cr = self.customers[sub.customer], self.creators[sub.creator]
        self.one_off(t, cust, cr, self.tip_amount(sub.currency), sub.currency)

    def one_off(self, t: int, cust: Customer, cr: Creator, amount: int, currency: str, *,
                decline=None, card=None, risk=None, label=None, ip: str | None = None,
                ip_country: str | None = None) -> ChargeInfo | None:
        pi = self.payment_intent(t, cust, amount, currency, cr.id, description=f"Tip for {cr.name}",
                                 metadata={"kind": "tip", "creator": cr.id}, app_fee=None)
        if decline is None and card is None:
            decline = self.decline_for(cust, retry=False)
        ch, info = self.charge(t, pi, cust, cr, decline=decline, card=card,
                               risk=self.risk_for(cust) if risk is None else risk,
                               ip=ip, ip_country=ip_country)
        if label:
            self.label(ch["id"], label)
        if info is not None and label is None:
            self.after_charge(t, info, cust, None)
        return info

    # ------------------------------------------------------------------ fraud
    def do_card_testing(self, t: int) -> None:
        """Dozens of tiny tips from one IP within minutes, most declined; survivors get disputed."""
        rng = self.rng
        if not self.creators:
            return
        cr = self.creators[self.pick_creator()]
        ip = people.ip_address(rng)
        ip_country = people.pick_country(rng, creator=False)
        idx = self.new_customer(t, ip=ip, ip_country=ip_country)
        cust = self.customers[idx]
        self.label(cust.id, "card_testing")
        cards = [people.card(rng, people.pick_country(rng, creator=False)) for _ in range(rng.randint(1, 6))]
        when = t
        for _ in range(rng.randint(20, 80)):
            when += rng.randint(3, 25)
            card = rng.choice(cards)
            decline = rng.choice(TESTING_DECLINES) if rng.random() < 0.9 else None
            amount = nice_minor(Decimal(rng.choice((1, 1, 2, 3))), "usd")
            info = self.one_off(when, cust, cr, amount, "usd", decline=decline, card=card,
                                risk=rng.randint(70, 99), label="card_testing")
            if info is not None:
                self.schedule(when + rng.randint(3, 20) * DAY, "efw_refund", info)

    def do_stolen_card(self, t: int) -> None:
        """A fraudster with stolen card details: a brand-new fan whose card (often) and IP (often)
        are from elsewhere than the billing address typed in; half try cards from the batch until
        one goes through; then an expensive membership and big tips within hours, until the
        cardholder's bank blocks the card (warnings and fraudulent disputes follow each payment)."""
        rng = self.rng
        if not self.creators:
            return
        country = people.pick_country(rng, creator=False)
        card_country = rng.choice(CARD_SOURCE_COUNTRIES) if rng.random() < 0.55 else country
        y = rng.random()
        ip_country = rng.choice(PROXY_COUNTRIES) if y < 0.45 else (card_country if y < 0.65 else country)
        idx = self.new_customer(t, country=country, card_country=card_country, ip_country=ip_country,
                                fraud="stolen_card")
        cust = self.customers[idx]
        cidx = self.pick_creator()
        cr = self.creators[cidx]
        when = t
        if rng.random() < 0.5:
            batch = [cust.card] + [people.card(rng, card_country) for _ in range(rng.randint(0, 3))]
            currency = cust.currency
            for _ in range(rng.randint(1, 4)):
                when += rng.randint(20, 600)
                self.one_off(when, cust, cr, nice_minor(rng.choice(FRAUD_TIP_USD), currency), currency,
                             decline=rng.choice(TESTING_DECLINES), card=rng.choice(batch),
                             risk=rng.randint(50, 95), label="stolen_card")
        when += rng.randint(30, 900)
        self.schedule(when, "signup", idx, cidx, rng.choice(("superfan", "vip", "vip")), "month")
        for _ in range(rng.randint(0, 3)):
            self.schedule(when + rng.randint(300, 2 * DAY), "fraud_tip", idx, cidx)
        self.schedule(t + rng.randint(5, 30) * DAY, "block_card", idx)

    def do_fraud_tip(self, t: int, customer: int, creator: int) -> None:
        cust = self.customers[customer]
        currency = cust.billing_currency or cust.currency
        self.one_off(t, cust, self.creators[creator], nice_minor(self.rng.choice(FRAUD_TIP_USD), currency), currency)

    def do_block_card(self, t: int, customer: int) -> None:
        self.customers[customer].blocked = True

    def do_takeover(self, t: int) -> None:
        """Someone else gets hold of a fan's card and account: from an IP abroad, within the hour,
        tips far above what the fan usually pays, which the fan then reports as fraud."""
        rng = self.rng
        if not self.active:
            return
        sub = self.subs[self.active[rng.randrange(len(self.active))]]
        cust = self.customers[sub.customer]
        if cust.fake or cust.blocked:
            return
        cr = self.creators[self.pick_creator()]
        ip, ip_country = people.ip_address(rng), rng.choice(PROXY_COUNTRIES)
        when = t
        for _ in range(rng.randint(1, 4)):
            when += rng.randint(60, 1800)
            info = self.one_off(when, cust, cr, nice_minor(rng.choice(FRAUD_TIP_USD), sub.currency),
                                sub.currency, ip=ip, ip_country=ip_country, label="account_takeover",
                                risk=min(99, self.risk_for(cust) + 15))
            if info is not None:
                self.fraud_reports(when, info)

    def fraud_ring(self, t: int) -> None:
        """A ring of fake fans sharing cards and IPs pays a complicit creator, then charges back."""
        rng = self.rng
        ring = len(self.rings)
        self.rings.append(t)
        creator = self.new_creator(t)
        cidx = self.creator_index[creator.id]
        card_country = rng.choice(("US", "BR", "IN", "GB"))
        cards = [people.card(rng, card_country) for _ in range(rng.randint(1, 3))]
        ips = [people.ip_address(rng) for _ in range(rng.randint(1, 2))]
        for _ in range(rng.randint(5, 12)):
            self.schedule(t + rng.randrange(7 * DAY), "ring_member", ring, cidx, cards, ips)

    def do_ring_member(self, t: int, ring: int, cidx: int, cards: list, ips: list) -> None:
        rng = self.rng
        country = people.pick_country(rng, creator=False)
        idx = self.new_customer(t, country=country, card=dict(rng.choice(cards)), ip=rng.choice(ips),
                                ip_country=rng.choice(("NG", "RU", "VN", "US")), ring=ring)
        self.schedule(t + 60, "signup", idx, cidx, rng.choice(("vip", "superfan")), "month")
        for _ in range(rng.randint(1, 4)):
            self.schedule(t + rng.randrange(14 * DAY), "ring_tip", idx, cidx)

    def do_ring_tip(self, t: int, customer: int, creator: int) -> None:
        cust, cr = self.customers[customer], self.creators[creator]
        currency = "usd"
        amount = nice_minor(Decimal(self.rng.choice((50, 100, 150, 200))), currency)
        self.one_off(t, cust, cr, amount, currency)

    # ------------------------------------------------------------------ payouts
    def payout_due(self, creator: Creator, t: int) -> bool:
        dt = datetime.fromtimestamp(t, timezone.utc)
        if creator.schedule == "daily":
            return True
        if creator.schedule == "weekly":
            return dt.weekday() == creator.anchor
        return dt.day == creator.anchor

    def do_payouts(self, t: int) -> None:
        rng = self.rng
        for i, creator in enumerate(self.creators):
            bal = self.balances[creator.id]
            bal.release(t)
            if not creator.payouts_enabled or not self.payout_due(creator, t):
                continue
            if bal.available >= creator.min_payout:
                po = self.payout(t + i, creator.id, bal.available, creator.currency, creator.bank)
                self.schedule(t + 6 * 3600 + i, "payout_transit", po["id"], creator.id)
                self.schedule(po["arrival_date"] + 3600, "payout_settle", po["id"], creator.id,
                              rng.choice(PAYOUT_FAILURES) if rng.random() < 0.02 else None)
        cutoff = t - 10 * DAY
        self.payout_ids = {k: v for k, v in self.payout_ids.items() if v >= cutoff}
        platform = self.balance(PLATFORM, "usd")
        platform.release(t)
        if datetime.fromtimestamp(t, timezone.utc).weekday() == 0 and platform.available >= 100_000:
            po = self.payout(t + 3600, PLATFORM, platform.available, "usd", self.platform_bank)
            self.schedule(po["arrival_date"] + 3600, "payout_settle", po["id"], PLATFORM, None)

    def do_payout_transit(self, t: int, payout_id: str, account: str) -> None:
        """The bank has the payout: pending -> in_transit (Stripe sends payout.updated)."""
        po = self.get(payout_id)
        if po["status"] == "pending":
            self.update(po, t, {"status": "in_transit"}, account=account)

    def do_payout_settle(self, t: int, payout_id: str, account: str, failure) -> None:
        self.settle_payout(t, payout_id, account, failure)

    def adopt_foreign_payouts(self, conn, since: int) -> int:
        """Payouts the server created (POST /v1/payouts) become part of the simulation: booked
        against the balance (unless the server wrote their balance transaction) and settled."""
        rows = conn.execute(
            "SELECT id, account, payload FROM objects WHERE object = 'payout' AND created >= ? "
            "ORDER BY seq", (since - 7 * DAY,)).fetchall()
        adopted = 0
        for pid, account, payload in rows:
            if pid in self.payout_ids:
                continue
            po = orjson.loads(payload)
            self.payout_ids[pid] = po["created"]
            if po.get("status") not in ("pending", "in_transit"):
                continue
            adopted += 1
            self.objs[pid] = po
            self.loaded.add(pid)
            txn_id = po.get("balance_transaction")
            txn_row = conn.execute("SELECT payload FROM objects WHERE id = ?", (txn_id,)).fetchone() if txn_id else None
            bal = self.balance(account, po["currency"])
            if txn_row is None:
                txn = self.bt(max(po["created"], since), account, -po["amount"], po["currency"], "payout", "payout",
                              pid, description="STRIPE PAYOUT")
                po["balance_transaction"] = txn["id"]
            else:  # the server booked it (net includes an instant payout's fee)
                bal.available += orjson.loads(txn_row[0])["net"]
            arrival = po.get("arrival_date") or day_floor(po["created"]) + 2 * DAY
            if po.get("method") == "instant":
                arrival = po["created"] + 1800
            self.schedule(max(arrival, self.clock) + 1, "payout_settle", pid, account,
                          PAYOUT_FAILURES[1] if self.rng.random() < 0.02 else None)
        return adopted
