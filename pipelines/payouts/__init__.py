"""Creator payouts: rules, schedules, holds, the daily plan, safe execution and reconciliation.

Pure functions over plain data; the Dagster assets and the `cashbook payouts` command read the
warehouse, call these, and write the results.
"""
