"""The embedded Dagster instance's event log: Dagster's SQLite storage, with its connections kept.

Without a dagster.yaml storage block Dagster keeps its event log in SQLite files under
`$DAGSTER_HOME/storage` (the demo, `make ui`, the bench; production uses dagster-postgres, see
deploy/dagster.yaml). Its `SqliteEventLogStorage` creates an engine, opens a connection, commits and
closes it for every event, two or three times for an asset event (the run's file and the index
file): each close of the last connection to a WAL database checkpoints it, each commit syncs the
disk. A day's run writes about 1,600 events (dbt's 350 test results are two each), and on the demo
day py-spy found 70 s of a 240 s run in those commits and closes on a busy machine.

This class keeps one pooled engine per file (the run's and the index) and sets
`synchronous=NORMAL`, SQLite's recommended setting for WAL databases: a commit no longer waits for
the disk; a power cut can lose the last events, never corrupt the file. Everything else is
Dagster's class: the same files, schema and migrations, readable by a stock Dagster.

`has_table` is asked before every asset-check event and every asset event's tags (does this
instance's schema support them?); Dagster's answer builds a new engine and connection to the
index file each time (1.4 of the 37 s a tiny-world day spent in the Dagster process, py-spy). A
table, once there, stays for the life of the process (migrations add tables, nothing drops one),
so a yes is kept; a no is asked again.
"""
from __future__ import annotations

import json
import sys
import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import create_db_conn_string
from dagster._serdes import ConfigurableClassData

# engines kept open at once: the index file and the runs being written (a webserver reads many)
MAX_ENGINES = 8
SQLITE_BUSY_TIMEOUT_S = 120

# What `make install` and the demo write to a DAGSTER_HOME. A home holding the previous default
# (telemetry only), or this default written for another folder (a copied home), gets it anew; any
# other dagster.yaml is its owner's and left alone. The storage folder is spelled out because a
# configured class is not told the instance's folder.
PREVIOUS_DEFAULT_YAML = "telemetry:\n  enabled: false\n"
DEFAULT_INSTANCE_YAML = """\
# The embedded instance of the demo and `make ui`: SQLite files in this folder
# (production: deploy/dagster.yaml, PostgreSQL). Event log: pipelines/dagster_sqlite.py says why.
event_log_storage:
  module: pipelines.dagster_sqlite
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {storage}
telemetry:
  enabled: false
"""


def _is_a_default(text: str) -> bool:
    head, _, tail = DEFAULT_INSTANCE_YAML.partition("{storage}")
    return text == PREVIOUS_DEFAULT_YAML or (text.startswith(head) and text.endswith(tail)
                                             and "\n" not in text[len(head):len(text) - len(tail)])


def ensure_instance_yaml(home: Path) -> Path:
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    wanted = DEFAULT_INSTANCE_YAML.format(storage=json.dumps(str(home / "storage")))
    if not path.exists() or (path.read_text() != wanted and _is_a_default(path.read_text())):
        path.write_text(wanted)
    return path


def _set_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, db.engine.Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.engine.Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = create_engine(
                create_db_conn_string(self._base_dir, shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
                pool_size=2, max_overflow=4)
            db.event.listen(engine, "connect", _set_pragmas)
            self._engines[shard] = engine
            while len(self._engines) > MAX_ENGINES:
                self._engines.popitem(last=False)[1].dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str):
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        if table_name in self._tables_seen:
            return True
        with self._engine(INDEX_SHARD_NAME).connect() as conn:
            found = bool(conn.dialect.has_table(conn, table_name))
        if found:
            self._tables_seen.add(table_name)
        return found

    def dispose(self) -> None:
        super().dispose()
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()


if __name__ == "__main__":  # `python -m pipelines.dagster_sqlite <DAGSTER_HOME>` (the Makefile)
    print(ensure_instance_yaml(Path(sys.argv[1])))
