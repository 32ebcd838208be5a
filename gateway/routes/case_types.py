"""Case types (records): what cases are created from. Every member of the organisation lists them; creating and
changing them needs the folders module (journal configuration). Deactivated, never deleted."""

from datetime import UTC, datetime

from elevhalsa.records.v1 import records_pb2 as pb
from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from gateway.routes.common import (
    BackendsDep,
    CallerDep,
    ConsistencyDep,
    Name,
    Strict,
    Uuid,
    Written,
    with_token,
)

router = APIRouter(prefix="/api/v1", tags=["case types"])


class CaseTypeIn(Strict):
    name: Name = Field(description="Unique in the organisation regardless of case, inactive ones included.")
    student_linked: bool = Field(
        description="Cases of the type are about one student; otherwise they live directly under a unit."
    )
    folder_id: Uuid = Field(description="The folder of the organisation the cases' notes belong to.")
    template_menu_id: Uuid | None = Field(None, description="The menu the cases' notes are written from.")


class CaseTypeChanges(Strict):
    """Only the fields given change; a null template_menu_id removes the menu."""

    name: Name = None  # type: ignore[assignment]
    student_linked: bool = None  # type: ignore[assignment]
    folder_id: Uuid = None  # type: ignore[assignment]
    template_menu_id: Uuid | None = None
    active: bool = None  # type: ignore[assignment]


class CaseType(BaseModel):
    id: str
    name: str
    student_linked: bool
    folder_id: str
    template_menu_id: str | None
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: pb.CaseType) -> "CaseType":
        return cls(
            id=c.id,
            name=c.name,
            student_linked=c.student_linked,
            folder_id=c.folder_id,
            template_menu_id=c.template_menu_id or None,
            active=c.active,
            created_at=c.created_at.ToDatetime(tzinfo=UTC),
            updated_at=c.updated_at.ToDatetime(tzinfo=UTC),
        )


class CaseTypeWritten(CaseType, Written):
    pass


class CaseTypes(BaseModel):
    case_types: list[CaseType]


def written(reply: pb.CaseTypeResponse, response: Response) -> CaseTypeWritten:
    return CaseTypeWritten(
        **CaseType.of(reply.case_type).model_dump(),
        consistency_token=with_token(response, reply.consistency_token),
    )


def update_request(case_type_id: str, body: CaseTypeChanges, consistency: str) -> pb.UpdateCaseTypeRequest:
    """Only the fields the body has are set in the request; a null menu is sent as empty."""
    request = pb.UpdateCaseTypeRequest(case_type_id=case_type_id, consistency_token=consistency)
    for name in body.model_fields_set:
        value = getattr(body, name)
        if name in ("folder_id", "template_menu_id"):
            value = str(value) if value else ""
        setattr(request, name, value)
    return request


@router.get("/case-types", response_model=CaseTypes)
async def list_case_types(caller: CallerDep, services: BackendsDep, active: bool | None = None):
    """By name: all of them, or only the active (`active=true`) or inactive (`active=false`) ones."""
    request = pb.ListCaseTypesRequest(active=active)
    reply = await services.call(services.records.ListCaseTypes, request, caller)
    return CaseTypes(case_types=[CaseType.of(c) for c in reply.case_types])


@router.post("/case-types", status_code=status.HTTP_201_CREATED, response_model=CaseTypeWritten)
async def create_case_type(
    body: CaseTypeIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    request = pb.CreateCaseTypeRequest(
        name=body.name,
        student_linked=body.student_linked,
        folder_id=str(body.folder_id),
        template_menu_id=str(body.template_menu_id) if body.template_menu_id else "",
        consistency_token=consistency,
    )
    return written(await services.call(services.records.CreateCaseType, request, caller), response)


@router.get("/case-types/{case_type_id}", response_model=CaseType)
async def get_case_type(case_type_id: str, caller: CallerDep, services: BackendsDep):
    request = pb.GetCaseTypeRequest(case_type_id=case_type_id)
    return CaseType.of(await services.call(services.records.GetCaseType, request, caller))


@router.patch("/case-types/{case_type_id}", response_model=CaseTypeWritten)
async def update_case_type(
    case_type_id: str,
    body: CaseTypeChanges,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    """Change name, student_linked, folder, template menu or active (`active: false` deactivates)."""
    request = update_request(case_type_id, body, consistency)
    return written(await services.call(services.records.UpdateCaseType, request, caller), response)
