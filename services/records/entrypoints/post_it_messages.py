"""Post-its between records' gRPC messages and its handlers."""

from elevhalsa.records.v1 import records_pb2 as pb

from services.common.convert import timestamp
from services.records.adapters.orm import PostIt


def post_it_to_proto(post_it: PostIt) -> pb.PostIt:
    return pb.PostIt(
        id=str(post_it.id),
        text=post_it.text,
        created_at=timestamp(post_it.created_at),
        updated_at=timestamp(post_it.updated_at),
    )
