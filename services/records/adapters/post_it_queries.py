"""Records' queries and writes of post-its: always of one owner, so another user's post-it is simply not found."""

import uuid
from datetime import datetime

from sqlalchemy import delete, tuple_

from services.common.errors import NotFound
from services.common.repository import TenantRepository
from services.records.adapters.orm import PostIt


class PostItQueries(TenantRepository):
    async def post_it(
        self, owner_id: uuid.UUID, post_it_id: uuid.UUID, *, for_update: bool = False
    ) -> PostIt:
        """The owner's post-it, or NotFound naming post_it_id; `for_update` locks it (changes of one queue)."""
        query = self.select_of(PostIt).where(PostIt.owner_id == owner_id, PostIt.id == post_it_id)
        post_it = await self.session.scalar(query.with_for_update() if for_update else query)
        if post_it is None:
            raise NotFound("post-it not found", field="post_it_id")
        return post_it

    async def post_its(
        self, owner_id: uuid.UUID, limit: int, after: tuple[datetime, uuid.UUID] | None = None
    ) -> list[PostIt]:
        """The owner's post-its, newest first, from after the cursor's (created_at, id)."""
        query = self.select_of(PostIt).where(PostIt.owner_id == owner_id)
        if after is not None:
            query = query.where(tuple_(PostIt.created_at, PostIt.id) < after)
        return await self.all(query.order_by(PostIt.created_at.desc(), PostIt.id.desc()).limit(limit))

    async def remove_post_it(self, post_it: PostIt) -> None:
        """Delete the row: post-its keep no history."""
        await self.session.execute(
            delete(PostIt).where(PostIt.org_id == self.org_id, PostIt.id == post_it.id)
        )
