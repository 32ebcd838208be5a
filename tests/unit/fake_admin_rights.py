"""A stand-in for authz's AuthorizeAdmin in handler tests: authz's own rules, over a model that knows the
caller at the level their token names (and whatever a test adds: module levels, scopes, assignments)."""

from datetime import date

from services.authz.domain.admin import AdminQuestion, decide
from services.authz.domain.memory import AuthzModel
from services.authz.service_layer.projections import Changes
from services.common.auth import AdminModule, Caller, PermissionLevel
from services.common.clock import today
from services.common.errors import PermissionDenied


class FakeAdminRights:
    def __init__(self, model: AuthzModel | None = None, day: date | None = None):
        self.model = model or AuthzModel()
        self.day = day or today()
        self.asked: list[tuple[AdminModule, str, AdminQuestion]] = []  # (module, token, question)

    async def require(
        self,
        caller: Caller,
        module: AdminModule,
        token: str = "",
        *,
        role_id: str | None = None,
        unit_id: str | None = None,
        all_units: bool = False,
        role_name: str = "",
        unit_name: str = "",
        concerns_admin: bool = False,
        lowered_to: PermissionLevel | None = None,
    ) -> None:
        question = AdminQuestion(
            module, role_id, unit_id, all_units, concerns_admin, lowered_to, role_name, unit_name
        )
        self.asked.append((module, token, question))
        self.know(caller)
        verdict = decide(self.model.org(caller.org_id), caller.user_id, question, self.day)
        if not verdict.allowed:
            raise PermissionDenied(verdict.reason, field=verdict.field)

    def know(self, caller: Caller) -> None:
        """The caller, as authz would know them, unless a test told the model otherwise."""
        if caller.user_id in self.model.org(caller.org_id).users:
            return
        row = {
            "org_id": caller.org_id,
            "user_id": caller.user_id,
            "active": True,
            "permission_level": caller.permission_level.value,
            "may_sign_notes": True,
        }
        self.model.apply(Changes(users={(caller.org_id, caller.user_id): row}))

    def modules(self) -> list[AdminModule]:
        return [module for module, _, _ in self.asked]
