"""Exact money: integer minor units, `Decimal` for anything in between, half-up once at the end.

Each currency's exponent follows DESIGN section 7 (and the dbt seed `currencies`, which must agree).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())

# Every active ISO 4217 currency (plus HRK, kept for history). Stripe uses the exponents above
# for the zero- and three-decimal ones and two for all the rest, whatever ISO says (ISK, HUF).
KNOWN_CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU
UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split())

# The platform's 25 currencies (DESIGN section 8). HRK ended on 2023-01-01: history only.
PLATFORM_CURRENCIES = tuple(
    "USD EUR GBP CAD AUD JPY CHF SEK NOK DKK PLN CZK HUF BGN RON HRK BRL MXN SGD HKD INR "
    "KRW TWD MYR THB".split()
)


def exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Minor units (Stripe's integers) to a Decimal in the currency's major unit, exactly."""
    if isinstance(amount_minor, float):
        raise TypeError("money must not be a float")
    return Decimal(int(amount_minor)).scaleb(-exponent(currency))


def round_major(value: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit: the one rounding step, done last."""
    quantum = Decimal(1).scaleb(-exponent(currency))
    return Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)


def to_minor(value: Decimal | int | str, currency: str) -> int:
    """A major-unit amount to integer minor units, rounding half-up once."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return int(round_major(Decimal(value), currency).scaleb(exponent(currency)))


def convert_minor(amount_minor: int, from_currency: str, to_currency: str, rate: Decimal | str) -> int:
    """Convert minor units at `rate` (units of `to_currency` per one unit of `from_currency`)."""
    if isinstance(rate, float):
        raise TypeError("rates are Decimals or strings, never floats")
    major = to_major(amount_minor, from_currency) * Decimal(rate)
    return to_minor(major, to_currency)


def format_money(amount_minor: int, currency: str) -> str:
    """`1,234.50 EUR`: for reports and statements."""
    major = to_major(amount_minor, currency)
    places = exponent(currency)
    return f"{major:,.{places}f} {currency.upper()}"
