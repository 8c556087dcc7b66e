"""AdGen's data layer: SQLModel tables (``db.models``), the engine and embedded server
(``db.engine``), the CRUD functions of the seed (``db.crud``) and the generated DDL (``db.schema``).
"""
