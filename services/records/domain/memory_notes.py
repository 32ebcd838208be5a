"""Memory notes (minnesanteckningar), free of I/O: who may keep them at all."""

from services.common.errors import PermissionDenied


def check_enabled(memory_notes_allowed: bool, uses_memory_notes: bool) -> None:
    """Memory notes need the organisation's setting and the user's own flag; the refusal names which is off."""
    if not memory_notes_allowed:
        raise PermissionDenied("your organisation does not allow memory notes (setting memory_notes_allowed)")
    if not uses_memory_notes:
        raise PermissionDenied("memory notes are not turned on for your user (flag use_memory_notes)")
