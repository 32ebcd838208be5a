"""Uploaded user-import files on local disk: written chunk by chunk while they arrive, deleted after their run."""

import hashlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from services.common.errors import TooLarge


@dataclass(frozen=True)
class Upload:
    path: Path
    size: int
    sha256: str


class UploadStore:
    """A directory of uploads; a run's file is named by its run id so the run (and only it) finds it."""

    def __init__(self, directory: str = ""):
        self.directory = Path(directory or tempfile.gettempdir()) / "elevhalsa-user-imports"
        self.directory.mkdir(parents=True, exist_ok=True)

    async def receive(self, chunks: AsyncIterator[bytes], max_bytes: int) -> Upload:
        """Write the chunks to a new file; TooLarge (and nothing left on disk) past `max_bytes`."""
        path = self.directory / f"upload-{uuid.uuid4()}.part"
        digest, size = hashlib.sha256(), 0
        try:
            with path.open("wb") as file:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"the file is larger than {max_bytes} bytes", field="file")
                    digest.update(chunk)
                    file.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Upload(path, size, digest.hexdigest())

    def keep(self, upload: Upload, run_id: uuid.UUID) -> Path:
        """The upload becomes the run's file."""
        return upload.path.rename(self.path_of(run_id))

    def discard(self, upload: Upload) -> None:
        upload.path.unlink(missing_ok=True)

    def path_of(self, run_id: uuid.UUID) -> Path:
        return self.directory / f"user-import-{run_id}.xml"

    def delete(self, run_id: uuid.UUID) -> None:
        """The run is over; its file goes."""
        self.path_of(run_id).unlink(missing_ok=True)
