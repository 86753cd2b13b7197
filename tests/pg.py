"""A fresh database on the machine's PostgreSQL (127.0.0.1:5432, user postgres, trust auth), for
the tests marked `postgres`."""
from __future__ import annotations

import psycopg2


def fresh_database(name: str) -> str:
    """Drop `name` if a killed run left it, create it empty, return its WAREHOUSE_URL."""
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"
