"""The `column_rules` test (dbt_project/macros/tests/column_rules.sql): one dbt test per relation
for its unique, not-null and accepted-values rules. Broken on purpose in the commission tiers seed,
it must name each broken rule, column and value, with the rows behind it, on both targets."""
from __future__ import annotations

import pytest

from tests.dbt.conftest import run_dbt


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_column_rules_name_each_broken_rule(target, request):
    wh = request.getfixturevalue("duck_warehouse" if target == "duckdb" else "pg_warehouse")
    passed = run_dbt(wh.env, "build", "--select", "commission_tiers", "--store-failures")
    assert "PASS=2 " in passed.stdout     # the seed, and its column_rules on the good rows

    conn = wh.connect()
    try:
        cur = conn.cursor()
        # two rows share the tier name 'premium' and the lower bound 1000; one has no rate;
        # one tier is not an allowed name; a null tier is only a not-null failure
        cur.execute("insert into reference.commission_tiers values "
                    "('premium', 1000, 1999, null), ('gold', 20000, null, 0.01), (null, 30000, null, 0.01)")
        if target == "duckdb":
            conn.commit()
    finally:
        conn.close()

    failed = run_dbt(wh.env, "test", "--select", "commission_tiers", "--store-failures", check=False)
    assert failed.returncode == 1
    assert "FAIL 5" in failed.stdout   # five broken rules, each one row of the test's result
    audit = wh.query("select table_schema, table_name from information_schema.tables "
                     "where table_name like 'column_rules_commission_tiers%'")
    assert len(audit) == 1
    schema, table = audit[0]
    rows = sorted(wh.query(f'select rule, column_name, failing_value, failing_rows from "{schema}"."{table}"'),
                  key=lambda r: (r[0], r[1], r[2] or ""))
    assert rows == [
        ("accepted_values", "tier", "gold", 1),
        ("not_null", "commission_rate", None, 1),
        ("not_null", "tier", None, 1),
        ("unique", "min_active_subscribers", "1000", 2),
        ("unique", "tier", "premium", 2),
    ]
