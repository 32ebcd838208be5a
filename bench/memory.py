"""Resident memory of the stack's processes, sampled in the background while something happens."""

import threading
import time
from dataclasses import dataclass, field


def rss_mib(pid: int) -> float:
    """The process's resident set size in MiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Sampler:
    """Samples the processes' RSS every `interval` seconds between `start()` and `stop()`; keeps each peak."""

    pids: dict[str, int]
    interval: float = 0.05
    peaks: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> dict[str, float]:
        return {name: rss_mib(pid) for name, pid in self.pids.items()}

    def start(self) -> "Sampler":
        self.peaks = self.now()
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return self.peaks

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, value in self.now().items():
                self.peaks[name] = max(self.peaks[name], value)
            time.sleep(self.interval)


def settled(sampler: Sampler, seconds: float = 3.0) -> dict[str, float]:
    """RSS once the processes had `seconds` to finish what a run left behind (the lowest of a few samples)."""
    lows = sampler.now()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.25)
        lows = {name: min(lows[name], value) for name, value in sampler.now().items()}
    return lows
