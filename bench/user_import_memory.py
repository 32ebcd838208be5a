"""Memory of imports and the gateway around a 60 MB user-import upload and its run: before, peak, after.

The file is streamed (gateway → imports in 1 MiB chunks, imports → disk → streaming parse), so neither process
should grow by the file's size, and imports should give back what the run used once it ends.
"""

import time
import uuid

from bench.memory import Sampler, settled
from bench.options import Options
from bench.results import Figure, at_most
from bench.system import running_stack
from bench.user_import import RUNS_PATH, fetch
from tests.support.api import Api, Tenant
from tests.support.user_files import user_file

NAME = "user_import_memory"
FILE_MIB = 60
USERS = 100_000
PEAK_BUDGET_MIB = 500  # docs/performance.md: a 100,000-user import peaks at 500 MB
RETURN_BUDGET_MIB = 100  # after the run, within this much of where the process started


def run(options: Options) -> list[Figure]:
    users, mib = (USERS // 10, FILE_MIB // 10) if options.quick else (USERS, FILE_MIB)
    with running_stack(NAME) as stack:
        api = Api(stack.gateway_url)
        tenant = Tenant(api, stack)
        content = padded_file(tenant, users, mib * 2**20)
        print(f"  the file: {users:,} users, {len(content) / 2**20:.1f} MiB", flush=True)
        pids = {name: stack.processes[name].pid for name in ("imports", "gateway")}
        sampler = Sampler(pids)
        before = settled(sampler, 1.0)
        sampler.start()
        status = upload_and_wait(api, tenant, content, 3600 if options.patient else 1800)
        peaks = sampler.stop()
        after = settled(sampler)
    return figures(users, len(content), status, before, peaks, after)


def padded_file(tenant: Tenant, users: int, size: int) -> bytes:
    """New users with long names, so that the file reaches `size` bytes with a realistic number of users."""
    unit_ext, role_ext = str(uuid.uuid4()), str(uuid.uuid4())
    tenant.create("/api/v1/units", {"name": "Minnesskolan", "kind": "school", "external_id": unit_ext})
    tenant.role("Skolkurator", role_ext)
    base = len(user_file([person(0, role_ext, unit_ext, "")])) - 100
    pad = "x" * max(0, min(190, (size // users - base) // 2))
    return user_file([person(k, role_ext, unit_ext, pad) for k in range(users)])


def person(k: int, role_ext: str, unit_ext: str, pad: str) -> dict:
    return {
        "external_id": f"mem-{k:06d}",
        "first_name": f"Minne{pad}",
        "last_name": f"Användare {k}{pad}",
        "email": f"mem-{k:06d}@bench.elevhalsa.se",
        "assignments": [{"role": role_ext, "unit": unit_ext}],
    }


def upload_and_wait(api: Api, tenant: Tenant, content: bytes, timeout: float) -> str:
    """Upload the file and poll the run until it ends; its last status (still "running" at the timeout)."""
    files = {"file": ("users.xml", content, "application/xml")}
    response = api.call("POST", RUNS_PATH, tenant.admin, files=files, timeout=300)
    if response.status_code != 202:
        raise RuntimeError(f"upload refused: HTTP {response.status_code} {response.text[:300]}")
    run, began = response.json(), time.monotonic()
    while run["status"] in ("queued", "running") and time.monotonic() - began < timeout:
        time.sleep(0.25)
        run = fetch(api, tenant, f"{RUNS_PATH}/{run['id']}") or run
    return run["status"]


def figures(users, size, status, before, peaks, after) -> list[Figure]:
    problems = 0 if status == "succeeded" else 1
    note = f"{users:,} users, {size / 2**20:.0f} MiB file, run {status}"
    result = []
    for name in ("imports", "gateway"):
        grown = after[name] - before[name]
        result += [
            Figure(NAME, f"{name} RSS before", before[name], "MiB", None, note),
            Figure(NAME, f"{name} RSS peak", peaks[name], "MiB", at_most(PEAK_BUDGET_MIB), note, problems),
            Figure(
                NAME,
                f"{name} RSS after − before",
                grown,
                "MiB",
                at_most(RETURN_BUDGET_MIB),
                f"after {after[name]:.0f} MiB; {note}",
                problems,
            ),
        ]
    return result
