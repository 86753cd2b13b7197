"""Parse `WAREHOUSE_URL` once, for the Python writers and for dbt's profile alike."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from pipelines.settings import PROJECT_ROOT


@dataclass(frozen=True)
class WarehouseTarget:
    kind: str                     # "duckdb" or "postgres"
    path: Path | None = None      # DuckDB file
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = "postgres"

    @property
    def dbt_target(self) -> str:
        return self.kind

    def dbt_env(self) -> dict[str, str]:
        """Environment variables that `dbt_project/profiles.yml` reads."""
        if self.kind == "duckdb":
            return {"CASHBOOK_DBT_TARGET": "duckdb", "CASHBOOK_DUCKDB_PATH": str(self.path)}
        return {
            "CASHBOOK_DBT_TARGET": "postgres",
            "CASHBOOK_PG_HOST": self.host,
            "CASHBOOK_PG_PORT": str(self.port),
            "CASHBOOK_PG_USER": self.user,
            "CASHBOOK_PG_PASSWORD": self.password,
            "CASHBOOK_PG_DBNAME": self.dbname,
        }

    def __repr__(self) -> str:  # no password in logs
        if self.kind == "duckdb":
            return f"WarehouseTarget(duckdb, {self.path})"
        return f"WarehouseTarget(postgres, {self.user}@{self.host}:{self.port}/{self.dbname})"


def parse_warehouse_url(url: str) -> WarehouseTarget:
    if url.startswith("duckdb://"):
        raw = url[len("duckdb://"):]
        # duckdb:///abs/path.duckdb -> /abs/path.duckdb ; duckdb://rel/path -> project-relative
        path = Path(raw[1:]) if raw.startswith("//") else Path(raw)
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        return WarehouseTarget(kind="duckdb", path=path)
    parsed = urlparse(url)
    if parsed.scheme in ("postgresql", "postgres"):
        return WarehouseTarget(
            kind="postgres",
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            user=unquote(parsed.username or "postgres"),
            password=unquote(parsed.password or ""),
            dbname=(parsed.path or "/postgres").lstrip("/") or "postgres",
        )
    raise ValueError(
        "WAREHOUSE_URL must look like duckdb:///path/file.duckdb or postgresql://user@host:port/db"
    )
