"""Case types between records' gRPC messages and their handlers."""

from elevhalsa.records.v1 import records_pb2 as pb

from services.common.auth import current_caller
from services.common.convert import optional_uuid, parse_id, parse_uuid, timestamp
from services.records.adapters.orm import CaseType
from services.records.domain.case_types import UNSET, CaseTypeChanges
from services.records.service_layer import case_types


class CaseTypeServicer:
    """The case-type RPCs of RecordsServicer (which provides the units of work and the rights)."""

    async def ListCaseTypes(self, request, context):
        active = request.active if request.HasField("active") else None
        found = await case_types.list_case_types(self._units, current_caller(), active)
        return pb.ListCaseTypesResponse(case_types=[case_type_to_proto(c) for c in found])

    async def GetCaseType(self, request, context):
        case_type_id = parse_id(request.case_type_id, "case_type_id", "case type")
        return case_type_to_proto(await case_types.get_case_type(self._units, current_caller(), case_type_id))

    async def CreateCaseType(self, request, context):
        case_type, token = await case_types.create_case_type(
            self._units,
            current_caller(),
            self._rights,
            request.name,
            request.student_linked,
            parse_uuid(request.folder_id, "folder_id"),
            optional_uuid(request.template_menu_id, "template_menu_id"),
            token=request.consistency_token,
        )
        return pb.CaseTypeResponse(case_type=case_type_to_proto(case_type), consistency_token=token)

    async def UpdateCaseType(self, request, context):
        case_type_id = parse_id(request.case_type_id, "case_type_id", "case type")
        case_type, token = await case_types.update_case_type(
            self._units,
            current_caller(),
            self._rights,
            case_type_id,
            changes_of(request),
            token=request.consistency_token,
        )
        return pb.CaseTypeResponse(case_type=case_type_to_proto(case_type), consistency_token=token)


def changes_of(request: pb.UpdateCaseTypeRequest) -> CaseTypeChanges:
    """The fields the request sets."""

    def given(field: str):
        return getattr(request, field) if request.HasField(field) else UNSET

    folder_id = given("folder_id")
    menu_id = given("template_menu_id")
    return CaseTypeChanges(
        name=given("name"),
        student_linked=given("student_linked"),
        folder_id=folder_id if folder_id is UNSET else parse_uuid(folder_id, "folder_id"),
        template_menu_id=menu_id if menu_id is UNSET else optional_uuid(menu_id, "template_menu_id"),
        active=given("active"),
    )


def case_type_to_proto(case_type: CaseType) -> pb.CaseType:
    return pb.CaseType(
        id=str(case_type.id),
        name=case_type.name,
        student_linked=case_type.student_linked,
        folder_id=str(case_type.folder_id),
        template_menu_id=str(case_type.template_menu_id) if case_type.template_menu_id else "",
        active=case_type.active,
        created_at=timestamp(case_type.created_at),
        updated_at=timestamp(case_type.updated_at),
    )
