"""Event subjects and streams: every event lands on its publisher's stream and is decoded as its type."""

import pytest
from elevhalsa.authz.v1 import events_pb2 as authz_events
from elevhalsa.identity.v1 import events_pb2 as identity_events
from elevhalsa.imports.v1 import events_pb2 as imports_events
from elevhalsa.records.v1 import events_pb2 as records_events

from services.common.events import StreamSpec, event_types, is_replay_marker, source_of, subject_of

EVENT_MODULES = {
    "identity": identity_events,
    "records": records_events,
    "imports": imports_events,
    "authz": authz_events,
}
PERSONAL_FIELDS = {"first_name", "last_name", "name", "email", "personnummer", "phone", "mobile"}


def test_an_events_subject_is_its_proto_full_name():
    revoked = identity_events.AssignmentRevoked(assignment_id="a-1", user_id="u-1")
    assert subject_of(revoked) == "elevhalsa.identity.v1.AssignmentRevoked"


@pytest.mark.parametrize(
    "subject, source",
    [
        ("elevhalsa.identity.v1.AssignmentRevoked", "identity"),
        ("elevhalsa.records.v1.NoteWritten", "records"),
        ("elevhalsa", ""),
        ("elevhalsa.identity", ""),
    ],
)
def test_the_publishing_service_is_read_from_the_subject(subject, source):
    assert source_of(subject) == source


def test_a_stream_is_named_after_its_service_and_carries_all_its_subjects():
    spec = StreamSpec("identity")
    assert spec.name == "ELEVHALSA_IDENTITY"
    assert spec.subjects == ["elevhalsa.identity.>"]


@pytest.mark.parametrize("service", EVENT_MODULES)
def test_every_event_of_a_service_goes_to_that_services_stream(service):
    registry = event_types(EVENT_MODULES[service])
    assert registry
    prefix = StreamSpec(service).subjects[0].removesuffix(">")
    for subject in registry:
        assert subject.startswith(prefix)
        assert source_of(subject) == service


def test_the_registry_decodes_a_published_event_as_its_own_type():
    registry = event_types(identity_events, records_events)
    sent = identity_events.AssignmentRevoked(assignment_id="a-1", user_id="u-1")
    received = registry[subject_of(sent)].FromString(sent.SerializeToString())
    assert received == sent
    assert registry["elevhalsa.records.v1.NoteWritten"] is records_events.NoteWritten


def test_the_registry_knows_the_events_of_each_given_module_and_no_others():
    registry = event_types(records_events)
    assert set(registry) == {
        "elevhalsa.records.v1.FolderCreated",
        "elevhalsa.records.v1.StudentCreated",
        "elevhalsa.records.v1.NoteWritten",
        "elevhalsa.records.v1.NoteSigned",
        "elevhalsa.records.v1.TemplateMenuCreated",
        "elevhalsa.records.v1.OrganisationReplayStarted",
    }


@pytest.mark.parametrize("service", EVENT_MODULES)
def test_no_event_carries_names_e_mail_or_personnummer(service):
    for cls in event_types(EVENT_MODULES[service]).values():
        assert not {f.name for f in cls.DESCRIPTOR.fields} & PERSONAL_FIELDS, cls.DESCRIPTOR.full_name


@pytest.mark.parametrize("service", ["identity", "records"])
def test_the_services_with_read_models_built_from_them_publish_a_replay_marker(service):
    registry = event_types(EVENT_MODULES[service])
    markers = [cls for cls in registry.values() if is_replay_marker(cls())]
    assert [cls.DESCRIPTOR.full_name for cls in markers] == [
        f"elevhalsa.{service}.v1.OrganisationReplayStarted"
    ]
