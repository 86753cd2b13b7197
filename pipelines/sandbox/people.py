"""Who is on the platform: countries, currencies, VAT rates, names, cards, VAT numbers, TINs.

Pure helpers over a passed-in `random.Random`, so the simulator stays deterministic.
"""
from __future__ import annotations

import random
from decimal import Decimal

from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.us import ein as us_ein
from stdnum.us import ssn as us_ssn

# country -> (default currency, weight among creators, weight among fans)
COUNTRIES: dict[str, tuple[str, float, float]] = {
    "US": ("usd", 42, 38), "GB": ("gbp", 9, 9), "DE": ("eur", 7, 8), "FR": ("eur", 5, 5),
    "CA": ("cad", 5, 5), "AU": ("aud", 4, 4), "JP": ("jpy", 4, 3), "BR": ("brl", 3, 3),
    "MX": ("mxn", 2, 3), "NL": ("eur", 2, 3), "ES": ("eur", 2, 3), "IT": ("eur", 2, 3),
    "SE": ("sek", 1.5, 1.5), "PL": ("pln", 1.5, 2), "IE": ("eur", 1, 1), "AT": ("eur", 1, 1),
    "BE": ("eur", 1, 1), "DK": ("dkk", 0.8, 0.8), "FI": ("eur", 0.5, 0.7), "NO": ("nok", 0.7, 0.8),
    "CH": ("chf", 0.8, 1), "CZ": ("czk", 0.5, 0.7), "HU": ("huf", 0.4, 0.5), "RO": ("ron", 0.4, 0.5),
    "BG": ("bgn", 0.3, 0.3), "PT": ("eur", 0.5, 0.7), "KR": ("krw", 1, 1.5), "SG": ("sgd", 0.7, 0.8),
    "HK": ("hkd", 0.5, 0.6), "IN": ("inr", 0.8, 2), "TW": ("twd", 0.3, 0.5), "MY": ("myr", 0.3, 0.5),
    "TH": ("thb", 0.3, 0.5),
}
CREATOR_COUNTRIES = sorted(COUNTRIES)
CREATOR_WEIGHTS = [COUNTRIES[c][1] for c in CREATOR_COUNTRIES]
FAN_WEIGHTS = [COUNTRIES[c][2] for c in CREATOR_COUNTRIES]

# Standard VAT rates for electronically supplied services to consumers (2026 levels).
VAT_RATES: dict[str, Decimal] = {k: Decimal(v) for k, v in {
    "AT": "0.20", "BE": "0.21", "BG": "0.20", "HR": "0.25", "CY": "0.19", "CZ": "0.21",
    "DK": "0.25", "EE": "0.24", "FI": "0.255", "FR": "0.20", "DE": "0.19", "GR": "0.24",
    "HU": "0.27", "IE": "0.23", "IT": "0.22", "LV": "0.21", "LT": "0.21", "LU": "0.17",
    "MT": "0.18", "NL": "0.21", "PL": "0.23", "PT": "0.23", "RO": "0.21", "SK": "0.23",
    "SI": "0.22", "ES": "0.21", "SE": "0.25", "GB": "0.20",
}.items()}
EU_COUNTRIES = frozenset(VAT_RATES) - {"GB"}

US_STATES = ["CA", "NY", "TX", "FL", "WA", "IL", "PA", "OH", "GA", "NC", "MI", "NJ", "VA", "MA",
             "AZ", "CO", "OR", "MN", "TN", "MO"]
US_STATE_WEIGHTS = [12, 9, 9, 7, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2]
CITIES = {"US": "Springfield", "GB": "London", "DE": "Berlin", "FR": "Paris", "CA": "Toronto",
          "AU": "Sydney", "JP": "Tokyo", "BR": "São Paulo", "MX": "Ciudad de México",
          "NL": "Amsterdam", "ES": "Madrid", "IT": "Milano", "SE": "Stockholm", "PL": "Warszawa",
          "IE": "Dublin", "AT": "Wien", "BE": "Bruxelles", "DK": "København", "FI": "Helsinki",
          "NO": "Oslo", "CH": "Zürich", "CZ": "Praha", "HU": "Budapest", "RO": "București",
          "BG": "Sofia", "PT": "Lisboa", "KR": "Seoul", "SG": "Singapore", "HK": "Hong Kong",
          "IN": "Mumbai", "TW": "Taipei", "MY": "Kuala Lumpur", "TH": "Bangkok"}

FIRST = ("Ava Ben Chloe Dan Eva Finn Gia Hugo Ines Jon Kai Lea Max Nia Omar Pia Quinn Rosa Sam "
         "Tara Uma Vik Wes Xena Yuki Zoe Aiko Bruno Carla Dario Elif Femi Greta Hana Ivan Jana "
         "Kofi Lina Mateo Noor Olga Paulo Rhea Sven Tomas Valeria").split()
LAST = ("Smith Jones Müller Dubois Rossi García Silva Kowalski Nguyen Kim Tanaka Novak Larsen "
        "Schmidt Martin Brown Wilson Moreau Romano López Santos Nowak Sato Park Horvat Berg "
        "Jansen Costa Fischer Bianchi").split()
STREETS = ("Main St", "Oak Ave", "Elm St", "High St", "Park Rd", "Hauptstraße", "Rue de la Paix",
           "Via Roma", "Calle Mayor", "Kerkstraat", "Maple Dr", "Station Rd")

CARD_BRANDS = ("visa", "mastercard", "amex")
CARD_BRAND_WEIGHTS = (58, 34, 8)


def pick_country(rng: random.Random, *, creator: bool) -> str:
    return rng.choices(CREATOR_COUNTRIES, CREATOR_WEIGHTS if creator else FAN_WEIGHTS)[0]


def currency_of(country: str) -> str:
    return COUNTRIES.get(country, ("usd",))[0]


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def address(rng: random.Random, country: str) -> dict:
    state = rng.choices(US_STATES, US_STATE_WEIGHTS)[0] if country == "US" else None
    return {
        "city": CITIES.get(country, "Capital City"),
        "country": country,
        "line1": f"{rng.randint(1, 299)} {rng.choice(STREETS)}",
        "line2": None,
        "postal_code": f"{rng.randint(10000, 99999)}",
        "state": state,
    }


def ip_address(rng: random.Random) -> str:
    return f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def fingerprint(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(rng.choice(alphabet) for _ in range(16))


def card(rng: random.Random, country: str) -> dict:
    """A fan's card: brand, issuing country, fingerprint, last4, expiry, funding."""
    return {
        "brand": rng.choices(CARD_BRANDS, CARD_BRAND_WEIGHTS)[0],
        "country": country,
        "fingerprint": fingerprint(rng),
        "last4": f"{rng.randint(0, 9999):04d}",
        "exp_month": rng.randint(1, 12),
        "exp_year": rng.randint(2027, 2032),
        "funding": rng.choices(("credit", "debit", "prepaid"), (55, 40, 5))[0],
    }


# --- VAT numbers: valid or invalid by check digit (python-stdnum decides) -------------------
_VAT_PATTERNS = {
    "DE": lambda r: f"DE{r.randint(100000000, 999999999)}",
    "GB": lambda r: f"GB{r.randint(100000000, 999999999)}",
    "NL": lambda r: f"NL{r.randint(100000000, 999999999)}B01",
    "AT": lambda r: f"ATU{r.randint(10000000, 99999999)}",
    "BE": lambda r: f"BE0{r.randint(100000000, 999999999)}",
    "PL": lambda r: f"PL{r.randint(1000000000, 9999999999)}",
    "SE": lambda r: f"SE{r.randint(1000000000, 9999999999)}01",
    "IT": lambda r: f"IT{r.randint(1000000, 9999999):07d}{r.randint(1, 100):03d}{r.randint(0, 9)}",
    "ES": lambda r: f"ESB{r.randint(1000000, 9999999)}{r.randint(0, 9)}",
}
VAT_COUNTRIES = frozenset(_VAT_PATTERNS)


def vat_number_is_valid(value: str) -> bool:
    if value.startswith("GB"):
        return gb_vat.is_valid(value)
    return eu_vat.is_valid(value)


def vat_number(rng: random.Random, country: str, *, valid: bool) -> str:
    """A VAT number of the country's format whose check digit is right (or deliberately wrong)."""
    make = _VAT_PATTERNS[country]
    for _ in range(5000):
        value = make(rng)
        if vat_number_is_valid(value) == valid:
            return value
    raise RuntimeError(f"could not draw a {'valid' if valid else 'invalid'} VAT number for {country}")


def ssn(rng: random.Random) -> str:
    while True:
        value = f"{rng.randint(1, 665):03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        if us_ssn.is_valid(value):
            return us_ssn.format(value)


def ein(rng: random.Random) -> str:
    while True:
        value = f"{rng.randint(10, 99):02d}{rng.randint(0, 9999999):07d}"
        if us_ein.is_valid(value):
            return us_ein.format(value)


def bank_last4(rng: random.Random) -> str:
    return f"{rng.randint(0, 9999):04d}"

