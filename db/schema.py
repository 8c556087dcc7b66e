"""Print the DDL generated from the SQLModel classes: ``python -m db.schema > db/create_tables.sql``.

The models are the source of truth; tests/db/test_db_schema.py proves that the file and the models
produce the same catalog in PostgreSQL.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel

import db.models  # noqa: F401  (registers the tables on SQLModel.metadata)

HEADER = """\
-- AdGen schema, generated from db/models.py by `python -m db.schema` (make schema).
-- Do not edit by hand: change the models and regenerate. See docs/schema.md.
"""


def _tidy(statement: str) -> str:
    # SQLAlchemy ends each column line with ", " — drop the trailing blanks for a clean diff.
    return "\n".join(line.rstrip() for line in statement.strip().splitlines())


def ddl_statements() -> Iterator[str]:
    """CREATE TABLE then CREATE INDEX for every table, in dependency order, for PostgreSQL."""
    dialect = postgresql.dialect()
    for table in SQLModel.metadata.sorted_tables:
        yield _tidy(str(CreateTable(table).compile(dialect=dialect)))
        # Sorted by name so the file is stable from run to run.
        for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
            yield _tidy(str(CreateIndex(index).compile(dialect=dialect)))


def render() -> str:
    return HEADER + "\n" + "\n\n".join(f"{statement};" for statement in ddl_statements()) + "\n"


@dataclass(frozen=True)
class Catalog:
    """What PostgreSQL says a schema contains, in comparable form (not the DDL text)."""

    columns: tuple[tuple[Any, ...], ...]  # table, position, name, type, length, nullable, default
    constraints: tuple[tuple[Any, ...], ...]  # table, name, type (p/u/c/f), pg_get_constraintdef
    indexes: tuple[tuple[Any, ...], ...]  # table, name, indexdef


def read_catalog(conn: Connection, schema: str = "public") -> Catalog:
    """Columns (information_schema), constraints (pg_constraint) and indexes (pg_indexes) of ``schema``."""
    columns = conn.execute(
        text(
            "SELECT table_name, ordinal_position, column_name, data_type, character_maximum_length, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = :schema ORDER BY table_name, ordinal_position"
        ),
        {"schema": schema},
    )
    constraints = conn.execute(
        text(
            "SELECT c.conrelid::regclass::text, c.conname, c.contype::text, pg_get_constraintdef(c.oid)"
            " FROM pg_constraint AS c JOIN pg_namespace AS n ON n.oid = c.connamespace"
            " WHERE n.nspname = :schema ORDER BY 1, 2"
        ),
        {"schema": schema},
    )
    indexes = conn.execute(
        text("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = :schema ORDER BY 1, 2"),
        {"schema": schema},
    )
    return Catalog(
        columns=tuple(tuple(row) for row in columns),
        constraints=tuple(tuple(row) for row in constraints),
        indexes=tuple(tuple(row) for row in indexes),
    )


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
