"""python -m services.records [serve | migrate | replay-org ORG_ID]"""

from services.common.cli import service_main
from services.records.entrypoints.app import NAME, build_runtime
from services.records.settings import RecordsSettings


def replay_org_command(parser):
    from elevhalsa.records.v1 import events_pb2

    from services.common.replay import replay_command
    from services.records.adapters.orm import KIT
    from services.records.service_layer.replay import current_state

    return replay_command(NAME, KIT, events_pb2.OrganisationReplayStarted, current_state)(parser)


if __name__ == "__main__":
    service_main(NAME, RecordsSettings, build_runtime, {"replay-org": replay_org_command})
