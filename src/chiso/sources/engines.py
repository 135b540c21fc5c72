"""Engines that run compiled measures: DuckDB (embedded, the default) and Spark (PySpark).

An engine binds the tables a query names (a source's Parquet parts, the unit map) and returns the
result as an Arrow table with the query's columns. Both read the same lake; a Spark cluster and data in
object storage are reached through `spark_master`, `spark_conf` and a lake URL (see docs/sources.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pyarrow as pa
import sqlglot.expressions as exp

from chiso.sources.compiler import EngineError, Query
from chiso.sources.measures import Aggregate

ENGINES = ("duckdb", "spark")
SPARK_MASTER_ENV = "CHISO_SPARK_MASTER"


class Engine(Protocol):
    name: str
    aggregates: frozenset[Aggregate]

    def bind(self, table: str, paths: Sequence[str]) -> None: ...
    def bind_rows(self, table: str, data: pa.Table) -> None: ...
    def bind_query(self, table: str, tree: exp.Query) -> None: ...
    def prepare(self, query: Query) -> str: ...
    def run(self, query: Query) -> pa.Table: ...
    def close(self) -> None: ...


def prepare(engine: Any, query: Query) -> str:
    """The query in the engine's dialect, or EngineError saying what the engine cannot do."""
    for measure in query.measures:
        unsupported = sorted({v.aggregate.value for v in measure.variables} - {a.value for a in engine.aggregates})
        if unsupported:
            raise EngineError(
                f"engine {engine.name} cannot run measure {measure.code}: aggregate(s) {', '.join(unsupported)}"
            )
    return query.sql(engine.dialect, engine.name)


class DuckDBEngine:
    name = "duckdb"
    dialect = "duckdb"
    aggregates = frozenset(Aggregate)

    def __init__(self, *, memory_limit: str = "4GB", threads: int | None = None) -> None:
        import duckdb

        config: dict[str, Any] = {"memory_limit": memory_limit}
        if threads:
            config["threads"] = threads
        self.con = duckdb.connect(config=config)
        self.con.execute("SET enable_progress_bar = false")  # long queries would draw a bar on the terminal

    def bind(self, table: str, paths: Sequence[str]) -> None:
        self.con.execute(f'CREATE OR REPLACE VIEW "{table}" AS SELECT * FROM read_parquet({list(paths)!r})')

    def bind_rows(self, table: str, data: pa.Table) -> None:
        self.con.register(f"__{table}", data)
        self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT * FROM "__{table}"')
        self.con.unregister(f"__{table}")

    def bind_query(self, table: str, tree: exp.Query) -> None:
        """A table computed once from the tables bound so far, for every query that names it."""
        self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{table}" AS {tree.sql(dialect=self.dialect)}')

    def prepare(self, query: Query) -> str:
        return prepare(self, query)

    def run(self, query: Query) -> pa.Table:
        return self.con.sql(self.prepare(query)).to_arrow_table()

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """PySpark: local mode by default (`local[2]`), a cluster with `master="spark://host:7077"` (or yarn,
    k8s://…) and any `spark.*` settings in `conf` (e.g. the S3A settings for a lake in object storage)."""

    name = "spark"
    dialect = "spark"
    aggregates = frozenset(Aggregate)

    def __init__(self, *, master: str | None = None, conf: Mapping[str, str] | None = None, session: Any = None):
        if session is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError as exc:  # pragma: no cover - pyspark is a dependency
                raise EngineError(f"engine spark needs pyspark: {exc}") from exc
            builder = SparkSession.builder.appName("chiso-sources").master(
                master or os.environ.get(SPARK_MASTER_ENV) or "local[2]"
            )
            settings = {
                "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.session.timeZone": "UTC",
                "spark.sql.shuffle.partitions": "8",
                **dict(conf or {}),
            }
            for key, value in settings.items():
                builder = builder.config(key, value)
            try:
                session = builder.getOrCreate()
            except Exception as exc:  # Java missing or the cluster unreachable: say so, never fall back
                raise EngineError(f"engine spark could not start: {exc}") from exc
            session.sparkContext.setLogLevel("ERROR")
            self._owned = True
        else:
            self._owned = False
        self.spark = session

    def bind(self, table: str, paths: Sequence[str]) -> None:
        self.spark.read.parquet(*paths).createOrReplaceTempView(table)

    def bind_rows(self, table: str, data: pa.Table) -> None:
        from pyspark.sql.types import StringType, StructField, StructType

        schema = StructType([StructField(name, StringType(), True) for name in data.column_names])
        self.spark.createDataFrame([tuple(r.values()) for r in data.to_pylist()], schema).createOrReplaceTempView(table)

    def bind_query(self, table: str, tree: exp.Query) -> None:
        """A view of a query over the tables bound so far (Spark plans it into each query that names it)."""
        self.spark.sql(tree.sql(dialect=self.dialect)).createOrReplaceTempView(table)

    def prepare(self, query: Query) -> str:
        return prepare(self, query)

    def run(self, query: Query) -> pa.Table:
        frame = self.spark.sql(self.prepare(query))
        names = frame.columns
        rows = frame.collect()
        return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})

    def close(self) -> None:
        if self._owned:
            self.spark.stop()


def make_engine(
    name: str, *, spark_master: str | None = None, spark_conf: Mapping[str, str] | None = None, session: Any = None
) -> Engine:
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine(master=spark_master, conf=spark_conf, session=session)
    raise EngineError(f"unknown engine {name!r}; use one of: {', '.join(ENGINES)}")
