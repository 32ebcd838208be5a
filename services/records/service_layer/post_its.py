"""Post-its: any active member keeps their own; nobody else (administrators included) ever reaches one, so every
use case looks the post-it up by its owner, the caller. They name no student, so nothing is access-logged."""

import uuid

from services.common import clock
from services.common.auth import Caller
from services.common.repository import open_to_every_member
from services.records.adapters.clients import IdentityClient
from services.records.adapters.orm import PostIt
from services.records.domain.post_its import Page, check_receiver, check_text, encode_cursor
from services.records.service_layer.handlers import UnitsOfWork, repository

OWN = "a post-it is the caller's own working note; every query is limited to the caller's post-its"


def owner(caller: Caller) -> uuid.UUID:
    return uuid.UUID(caller.user_id)


@open_to_every_member(OWN)
async def create_post_it(units: UnitsOfWork, caller: Caller, text: str) -> PostIt:
    text = check_text(text)
    async with units() as uow:
        repo = repository(uow, caller)
        now = clock.utcnow()
        post_it = PostIt(
            id=uuid.uuid4(),
            org_id=repo.org_id,
            owner_id=owner(caller),
            text=text,
            created_at=now,
            updated_at=now,
        )
        repo.add(post_it)
        await uow.commit()
        return post_it


@open_to_every_member(OWN)
async def list_post_its(units: UnitsOfWork, caller: Caller, page: Page) -> tuple[list[PostIt], str]:
    """A page of the caller's post-its, newest first, and the cursor of the next page ('' after the last)."""
    async with units() as uow:
        found = await repository(uow, caller).post_its(owner(caller), page.limit + 1, page.after)
    items = found[: page.limit]
    more = len(found) > page.limit
    return items, encode_cursor(items[-1].created_at, items[-1].id) if more else ""


@open_to_every_member(OWN)
async def get_post_it(units: UnitsOfWork, caller: Caller, post_it_id: uuid.UUID) -> PostIt:
    async with units() as uow:
        return await repository(uow, caller).post_it(owner(caller), post_it_id)


@open_to_every_member(OWN)
async def update_post_it(units: UnitsOfWork, caller: Caller, post_it_id: uuid.UUID, text: str) -> PostIt:
    """Overwrite the text: post-its keep no history."""
    text = check_text(text)
    async with units() as uow:
        post_it = await repository(uow, caller).post_it(owner(caller), post_it_id, for_update=True)
        post_it.text, post_it.updated_at = text, clock.utcnow()
        await uow.commit()
        return post_it


@open_to_every_member(OWN)
async def delete_post_it(units: UnitsOfWork, caller: Caller, post_it_id: uuid.UUID) -> None:
    async with units() as uow:
        repo = repository(uow, caller)
        await repo.remove_post_it(await repo.post_it(owner(caller), post_it_id, for_update=True))
        await uow.commit()


@open_to_every_member(OWN)
async def transfer_post_it(
    units: UnitsOfWork, caller: Caller, identity: IdentityClient, post_it_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Hand the post-it to another active user of the organisation: identity is asked with no unit of work
    open, and the owner is checked again in the unit of work that moves it."""
    async with units() as uow:
        await repository(uow, caller).post_it(owner(caller), post_it_id)
    check_receiver(owner(caller), user_id, await identity.receiver(user_id))
    async with units() as uow:
        post_it = await repository(uow, caller).post_it(owner(caller), post_it_id, for_update=True)
        post_it.owner_id, post_it.updated_at = user_id, clock.utcnow()
        await uow.commit()
