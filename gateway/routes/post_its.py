"""Post-its (records): the caller's own working notes, tied to no student. Another user's post-it answers 404,
exactly like an unknown id, whoever asks (administrators too)."""

from datetime import UTC, datetime
from typing import Annotated

from elevhalsa.records.v1 import records_pb2 as pb
from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, StringConstraints

from gateway.routes.common import BackendsDep, CallerDep, Strict, Uuid
from services.records.domain.post_its import DEFAULT_PAGE, MAX_PAGE, MAX_TEXT

router = APIRouter(prefix="/api/v1", tags=["post-its"])

# Kept as written (white space is part of a note). Records refuses a blank text and control characters, naming
# the field, with a plainer message than a pattern would give.
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]


class PostItIn(Strict):
    text: Text = Field(description=f"1–{MAX_TEXT:,} characters, not only white space.")


class TransferIn(Strict):
    user_id: Uuid = Field(description="An active user of the caller's organisation, not the caller.")


class PostIt(BaseModel):
    id: str
    text: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, p: pb.PostIt) -> "PostIt":
        return cls(
            id=p.id,
            text=p.text,
            created_at=p.created_at.ToDatetime(tzinfo=UTC),
            updated_at=p.updated_at.ToDatetime(tzinfo=UTC),
        )


class PostIts(BaseModel):
    post_its: list[PostIt]
    next_cursor: str = Field(description="Pass as `cursor` for the next page; empty on the last page.")


@router.get("/post-its", response_model=PostIts)
async def list_post_its(
    caller: CallerDep,
    services: BackendsDep,
    cursor: Annotated[str, Query(max_length=512)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
):
    """The caller's own post-its, newest first, a page at a time."""
    request = pb.ListPostItsRequest(limit=limit, cursor=cursor)
    reply = await services.call(services.records.ListPostIts, request, caller)
    return PostIts(post_its=[PostIt.of(p) for p in reply.post_its], next_cursor=reply.next_cursor)


@router.post("/post-its", status_code=status.HTTP_201_CREATED, response_model=PostIt)
async def create_post_it(body: PostItIn, caller: CallerDep, services: BackendsDep):
    request = pb.CreatePostItRequest(text=body.text)
    return PostIt.of(await services.call(services.records.CreatePostIt, request, caller))


@router.get("/post-its/{post_it_id}", response_model=PostIt)
async def get_post_it(post_it_id: str, caller: CallerDep, services: BackendsDep):
    request = pb.GetPostItRequest(post_it_id=post_it_id)
    return PostIt.of(await services.call(services.records.GetPostIt, request, caller))


@router.patch("/post-its/{post_it_id}", response_model=PostIt)
async def update_post_it(post_it_id: str, body: PostItIn, caller: CallerDep, services: BackendsDep):
    """Replace the text; no earlier text is kept."""
    request = pb.UpdatePostItRequest(post_it_id=post_it_id, text=body.text)
    return PostIt.of(await services.call(services.records.UpdatePostIt, request, caller))


@router.delete("/post-its/{post_it_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_post_it(post_it_id: str, caller: CallerDep, services: BackendsDep):
    """Remove it for good."""
    request = pb.DeletePostItRequest(post_it_id=post_it_id)
    await services.call(services.records.DeletePostIt, request, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/post-its/{post_it_id}/transfer", status_code=status.HTTP_204_NO_CONTENT)
async def transfer_post_it(post_it_id: str, body: TransferIn, caller: CallerDep, services: BackendsDep):
    """Hand it to another active user of the organisation; afterwards only they have it."""
    request = pb.TransferPostItRequest(post_it_id=post_it_id, user_id=str(body.user_id))
    await services.call(services.records.TransferPostIt, request, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
