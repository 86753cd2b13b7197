"""The cross-database macros and the currencies seed, on both targets."""
from __future__ import annotations

import pytest

from pipelines import money
from tests.dbt.conftest import PROJECT_DIR, run_dbt


def test_currency_seed_agrees_with_money_module():
    rows = (PROJECT_DIR / "seeds" / "currencies.csv").read_text().splitlines()[1:]
    exponents = {line.split(",")[0]: int(line.split(",")[1]) for line in rows}
    assert exponents["JPY"] == 0 and exponents["KWD"] == 3 and exponents["EUR"] == 2
    assert all(money.exponent(code) == exp for code, exp in exponents.items())
    assert set(money.PLATFORM_CURRENCIES) <= set(exponents)


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_seed_loads_on_both_targets(target, request):
    wh = request.getfixturevalue("duck_warehouse" if target == "duckdb" else "pg_warehouse")
    run_dbt(wh.env, "seed", "--select", "currencies")
    assert wh.query("select exponent from reference.currencies where currency_code = 'KWD'") == [(3,)]
    assert wh.query("select count(*) from reference.currencies where is_platform_currency") == [(25,)]
