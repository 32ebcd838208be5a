"""The one way in to a service's tenant tables: a repository bound to one organisation.

Every query starts from `select_of` (or `scoped`), which adds `org_id = <the organisation>`, and every row added
must carry the same organisation; so another organisation's ids are simply not found, by construction.
"""

import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import NotFound

T = TypeVar("T")


class TenantRepository:
    """Base of every service's repository: the session of a unit of work and the organisation it serves."""

    def __init__(self, session: AsyncSession, org_id: uuid.UUID):
        self.session = session
        self.org_id = org_id

    def scoped(self, statement: Select, *models: Any) -> Select:
        """`statement` limited to this organisation's rows of each model."""
        for model in models:
            statement = statement.where(model.org_id == self.org_id)
        return statement

    def select_of(self, model: type[T], *columns: Any) -> Select:
        """SELECT the model (or some of its columns) from this organisation's rows only."""
        return self.scoped(select(*columns) if columns else select(model), model)

    async def one(self, model: type[T], row_id: uuid.UUID, *, what: str, field: str) -> T:
        """This organisation's row with the id, or NotFound naming the field."""
        row = await self.session.scalar(self.select_of(model).where(model.id == row_id))
        if row is None:
            raise NotFound(f"{what} not found", field=field)
        return row

    async def all(self, statement: Select) -> list:
        """The rows of a scoped statement."""
        return list(await self.session.scalars(statement))

    def add(self, row: Any) -> None:
        """Stage a new row of this organisation (a row of another organisation is a bug)."""
        self._check_tenant(row)
        self.session.add(row)

    def add_all(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    def _check_tenant(self, row: Any) -> None:
        org_id = getattr(row, "org_id", None)
        if org_id != self.org_id:
            raise ValueError(
                f"a {type(row).__name__} of organisation {org_id} added through {self.org_id}'s repository"
            )


RepositoryFactory = Callable[[AsyncSession, uuid.UUID], Any]


def open_to_every_member(reason: str) -> Callable[[T], T]:
    """Marks a handler any active user of the organisation may call (a read, or a change of their own things),
    with the reason why; the mark is what a reviewer looks for, since every other handler must check the
    caller's rights."""

    def mark(handler: T) -> T:
        handler.open_to_every_member = reason  # type: ignore[attr-defined]
        return handler

    return mark
