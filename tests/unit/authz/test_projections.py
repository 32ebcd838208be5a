"""Folding a batch of events into the read model's final rows."""

import uuid

from elevhalsa.identity.v1 import events_pb2 as identity_events
from elevhalsa.identity.v1 import identity_pb2
from elevhalsa.records.v1 import events_pb2 as records_events

from services.authz.service_layer.projections import fold

ORG = str(uuid.uuid4())


def stamped(event):
    event.meta.org_id = ORG
    return event


def test_an_assignment_granted_and_revoked_in_one_batch_ends_revoked():
    assignment, user, role, unit = (str(uuid.uuid4()) for _ in range(4))
    changes = fold(
        [
            stamped(
                identity_events.AssignmentGranted(
                    assignment_id=assignment, user_id=user, role_id=role, unit_id=unit
                )
            ),
            stamped(identity_events.AssignmentRevoked(assignment_id=assignment, user_id=user)),
        ]
    )
    assert changes.assignments == {uuid.UUID(assignment): None}


def test_the_last_change_of_a_user_in_a_batch_wins():
    user = str(uuid.uuid4())
    changes = fold(
        [
            stamped(
                identity_events.UserChanged(
                    user_id=user, active=True, permission_level=identity_pb2.PERMISSION_LEVEL_ADMIN
                )
            ),
            stamped(
                identity_events.UserChanged(
                    user_id=user, active=False, permission_level=identity_pb2.PERMISSION_LEVEL_MEMBER
                )
            ),
        ]
    )
    [row] = changes.users.values()
    assert (row["active"], row["permission_level"]) == (False, "member")


def test_an_all_units_assignment_has_no_unit():
    event = stamped(
        identity_events.AssignmentGranted(
            assignment_id=str(uuid.uuid4()),
            user_id=str(uuid.uuid4()),
            role_id=str(uuid.uuid4()),
            all_units=True,
        )
    )
    [row] = fold([event]).assignments.values()
    assert row["unit_id"] is None and row["valid_from"] is None


def test_events_authz_does_not_use_change_nothing():
    changes = fold([stamped(identity_events.OrganisationCreated())])
    assert not (
        changes.units
        or changes.roles
        or changes.users
        or changes.folders
        or changes.template_menus
        or changes.assignments
    )


def test_a_users_may_sign_flag_is_projected_and_an_event_without_it_reads_as_not_signing():
    signing, silent = str(uuid.uuid4()), str(uuid.uuid4())
    changes = fold(
        [
            stamped(identity_events.UserChanged(user_id=signing, active=True, may_sign_notes=True)),
            stamped(identity_events.UserChanged(user_id=silent, active=True)),
        ]
    )
    flags = {str(row["user_id"]): row["may_sign_notes"] for row in changes.users.values()}
    assert flags == {signing: True, silent: False}


def test_a_created_template_menu_becomes_known_once():
    menu = str(uuid.uuid4())
    created = [stamped(records_events.TemplateMenuCreated(menu_id=menu)) for _ in range(2)]
    assert list(fold(created).template_menus.values()) == [
        {"org_id": uuid.UUID(ORG), "menu_id": uuid.UUID(menu)}
    ]
