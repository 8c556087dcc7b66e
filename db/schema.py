"""Print the DDL generated from the SQLModel classes: ``python -m db.schema > db/create_tables.sql``.

The models are the source of truth; tests/db/test_schema.py proves that the file and the models
produce the same catalog in PostgreSQL.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

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


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
