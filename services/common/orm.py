"""The declarative base every service's tables share, and the tenant rules every tenant table follows.

Tenancy is also in the schema: a tenant table has a unique key `(org_id, id)`, and a reference from one tenant
table to another is the composite foreign key `(org_id, <x>_id) → <x>s(org_id, id)`, so a row can never point at
another organisation's row, even through a bug.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKeyConstraint, Integer, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped

from services.common.db import KitTables, kit_tables, make_metadata


def declarative_base(schema: str) -> tuple[type[DeclarativeBase], KitTables]:
    """A service's declarative base on its own schema, and the kit tables declared on it."""

    class Base(DeclarativeBase):
        metadata = make_metadata(schema)
        type_annotation_map = {
            uuid.UUID: UUID(as_uuid=True),
            str: Text,
            int: Integer,
            datetime: DateTime(timezone=True),
            dict[str, Any]: JSONB,
        }

    return Base, kit_tables(Base.metadata)


class TenantMixin:
    """A row that belongs to one organisation; repositories scope every query by `org_id`."""

    org_id: Mapped[uuid.UUID]


def tenant_key() -> UniqueConstraint:
    """The `(org_id, id)` key that other tenant tables reference."""
    return UniqueConstraint("org_id", "id")


def tenant_reference(column: str, table: str, *, ondelete: str | None = None) -> ForeignKeyConstraint:
    """`(org_id, column) → table(org_id, id)`: the reference cannot cross organisations."""
    return ForeignKeyConstraint(["org_id", column], [f"{table}.org_id", f"{table}.id"], ondelete=ondelete)
