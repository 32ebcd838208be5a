"""Handing memory back to the system after a large run."""

import ctypes
import ctypes.util
import functools
import gc


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


def give_back() -> None:
    """Collect, then ask glibc to return its free heap pages: without it, the process keeps the peak of its
    largest run (tens of thousands of small objects freed in the middle of its arenas) for good."""
    gc.collect()
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
