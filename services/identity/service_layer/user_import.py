"""Applying an import run's users: create, update, activate and deactivate, with their imported assignments."""

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator

from services.common.admin_rights import Rights
from services.common.auth import AdminModule, Caller, PermissionLevel
from services.common.clock import utcnow
from services.common.email import normalise_email
from services.common.errors import NotFound
from services.common.uow import UnitOfWork
from services.identity.adapters.orm import Assignment, User
from services.identity.adapters.repository import IdentityRepository
from services.identity.domain.model import AssignmentSource, AssignmentTerms
from services.identity.domain.user_import import CurrentUser, ImportedUserData, Outcome, outcome_for
from services.identity.service_layer import events
from services.identity.service_layer.handlers import new_assignment, repository


def terms_of(assignment: Assignment) -> AssignmentTerms:
    return AssignmentTerms(
        role_id=str(assignment.role_id),
        unit_id=str(assignment.unit_id) if assignment.unit_id else None,
        all_units=assignment.all_units,
        valid_from=assignment.valid_from,
        valid_to=assignment.valid_to,
    )


async def imported_users(
    uow: UnitOfWork, caller: Caller, rights: Rights
) -> AsyncIterator[tuple[User, list[Assignment]]]:
    """Every user with an external id, with the assignments imports gave them."""
    await rights.require(caller, AdminModule.IMPORTS)
    repo = repository(uow, caller)
    by_user = defaultdict(list)
    for assignment in await repo.active_assignments(source=AssignmentSource.IMPORT):
        by_user[assignment.user_id].append(assignment)
    async for user in repo.imported_users():
        yield user, by_user.get(user.id, [])


async def apply_imported_users(
    uow: UnitOfWork,
    caller: Caller,
    rights: Rights,
    upserts: list[ImportedUserData],
    deactivate_ids: list[uuid.UUID],
) -> tuple[list[tuple[str, str, Outcome]], str]:
    """Apply a batch atomically; returns (external id, user id, outcome) per user and a consistency token."""
    await rights.require(caller, AdminModule.IMPORTS)
    repo = repository(uow, caller)
    await check_targets(repo, upserts)
    existing = await repo.users_by_external_ids([u.external_id for u in upserts])
    current_assignments = await imported_assignments(repo, [u.id for u in existing.values()])
    results, changed, moved_email = [], [], []
    for incoming in upserts:
        user = existing.get(incoming.external_id)
        assignments = current_assignments.get(user.id, []) if user else []
        outcome = outcome_for(current_state(user, assignments) if user else None, incoming)
        if outcome not in (Outcome.UNCHANGED, Outcome.SKIPPED_MANUALLY_MANAGED):
            if user is not None and user.email != incoming.email:
                moved_email.append(user)
            user = upsert_user(uow, repo, caller, user, incoming)
            changed.append((user, assignments, incoming.assignments))
        results.append((incoming.external_id, str(user.id), outcome))
    await repo.flush()  # new users exist before their assignments refer to them
    for user, current, wanted in changed:
        sync_assignments(uow, repo, caller, user.id, current, wanted)
    await follow_emails(repo, moved_email)
    for user in await repo.users_by_ids(deactivate_ids):
        # Only users an import manages: those with an external id that are not manually managed.
        if user.external_id and user.active and not user.manually_managed:
            user.active = False
            uow.publish(caller.org_id, events.user_changed(user))
            results.append((user.external_id or "", str(user.id), Outcome.DEACTIVATED))
    return results, await uow.commit()


async def check_targets(repo: IdentityRepository, upserts: list[ImportedUserData]) -> None:
    """Every role and unit named must be the organisation's: identity does not trust its callers."""
    roles = {uuid.UUID(a.role_id) for u in upserts for a in u.assignments}
    units = {uuid.UUID(a.unit_id) for u in upserts for a in u.assignments if a.unit_id}
    if roles - await repo.role_ids():
        raise NotFound(
            "a user role of an assignment is not the organisation's", field="upserts.assignments.role_id"
        )
    if units - await repo.unit_ids():
        raise NotFound(
            "a unit of an assignment is not the organisation's", field="upserts.assignments.unit_id"
        )


async def follow_emails(repo: IdentityRepository, users: list[User]) -> None:
    """A password login moves with its user's new e-mail; it is removed if the address is missing or taken."""
    credentials = await repo.credentials_of([user.id for user in users])
    for user in users:
        credential = credentials.get(user.id)
        if credential is None:
            continue
        login = normalise_email(user.email) if user.email else None
        if login and not await repo.login_email_taken(login, by_other_than=user.id):
            credential.login_email = login
        else:
            await repo.remove_credential(credential)


async def imported_assignments(repo: IdentityRepository, user_ids: list[uuid.UUID]) -> dict:
    by_user = defaultdict(list)
    if user_ids:
        for assignment in await repo.active_assignments(user_ids, source=AssignmentSource.IMPORT):
            by_user[assignment.user_id].append(assignment)
    return by_user


def current_state(user: User, assignments: list[Assignment]) -> CurrentUser:
    return CurrentUser(
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        active=user.active,
        manually_managed=user.manually_managed,
        assignments=frozenset(terms_of(a) for a in assignments),
    )


def upsert_user(uow: UnitOfWork, repo: IdentityRepository, caller: Caller, user, incoming) -> User:
    """Create or update the user's own fields; publishes UserChanged when authorization facts changed."""
    if user is None:
        user = User(
            id=uuid.uuid4(),
            org_id=repo.org_id,
            external_id=incoming.external_id,
            permission_level=PermissionLevel.MEMBER,
            manually_managed=False,
            may_sign_notes=True,  # the file says nothing about signing: an administrator decides it
            active=incoming.active,
            first_name=incoming.first_name,
            last_name=incoming.last_name,
            email=incoming.email,
        )
        repo.add(user)
        uow.publish(caller.org_id, events.user_changed(user))
        return user
    active_changed = user.active != incoming.active
    user.first_name, user.last_name, user.email = incoming.first_name, incoming.last_name, incoming.email
    user.active = incoming.active
    if active_changed:
        uow.publish(caller.org_id, events.user_changed(user))
    return user


def sync_assignments(
    uow, repo, caller, user_id, current: list[Assignment], wanted: frozenset[AssignmentTerms]
):
    """Revoke imported assignments the file no longer lists and grant the new ones."""
    kept = set()
    for assignment in current:
        terms = terms_of(assignment)
        if terms in wanted and terms not in kept:
            kept.add(terms)
            continue
        assignment.revoked_at = utcnow()
        uow.publish(caller.org_id, events.assignment_revoked(assignment))
    for terms in sorted(wanted - kept, key=repr):
        assignment = new_assignment(repo.org_id, user_id, terms, AssignmentSource.IMPORT)
        repo.add(assignment)
        uow.publish(caller.org_id, events.assignment_granted(assignment))
