"""A user-import XML file uploaded through the gateway: time until the run succeeded, first run and rerun."""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import httpx

from bench.options import Options
from bench.results import Figure, at_most
from bench.system import running_stack
from tests.support.api import Api, Tenant
from tests.support.user_files import user_file

NAME = "user_import"
RUNS_PATH = "/api/v1/imports/user-runs"
UPLOAD_LIMIT = 64 * 1024 * 1024  # the gateway's default max_upload_bytes
POLL_SECONDS = 0.25
FULL_USERS = 100_000
FIRST_BUDGET, RERUN_BUDGET = 20, 10  # seconds for FULL_USERS (docs/performance.md)
CAP = 3  # give up at this multiple of the budget (unless --patient): the run is OVER either way


@dataclass
class Outcome:
    """One run as the client saw it: seconds from upload to a final status, and the last state seen."""

    seconds: float
    upload_seconds: float
    run: dict
    finished: bool
    unanswered: int = 0  # status polls the gateway answered 503/504: imports did not reply in time

    def problems(self, expected: dict[str, int]) -> list[str]:
        """What differs from a clean run with the expected changes."""
        found = [] if self.finished else [f"gave up waiting, status still {self.run['status']}"]
        if self.unanswered:
            found.append(f"{self.unanswered} status polls answered 503/504 (imports did not reply in time)")
        if self.finished and self.run["status"] != "succeeded":
            found.append(f"status {self.run['status']}: {messages(self.run)}")
        if self.run["errors"] or self.run["warnings"]:
            found.append(
                f"{self.run['errors']} errors, {self.run['warnings']} warnings: {messages(self.run)}"
            )
        if self.finished and self.run["changes"] != expected:
            found.append(f"changes {self.run['changes']} instead of {expected}")
        return found


def messages(run: dict) -> str:
    """The first few messages of a run, for a note."""
    return "; ".join(f"{m['code']} {m['text_en']} {m['detail']}".strip() for m in run["messages"][:3])


def run(options: Options) -> list[Figure]:
    """Upload the same file twice to a fresh stack; the second run must change nothing."""
    users = FULL_USERS // 10 if options.quick else FULL_USERS
    wait = (lambda budget: 3600.0) if options.patient else (lambda budget: CAP * budget)
    with running_stack(NAME) as stack:
        api = Api(stack.gateway_url)
        tenant = Tenant(api, stack)
        content = import_file(tenant, users)
        print(
            f"  the file: {users:,} users, {len(content) / 2**20:.1f} MiB (upload limit 64 MiB)", flush=True
        )
        if len(content) > UPLOAD_LIMIT:
            raise RuntimeError(f"the file is {len(content):,} bytes, over the gateway's upload limit")
        first = import_once(api, tenant, content, wait(FIRST_BUDGET))
        rerun = import_once(api, tenant, content, wait(RERUN_BUDGET)) if first.finished else None
    return figures(users, first, rerun)


def import_file(tenant: Tenant, count: int) -> bytes:
    """A file of new users, each with an assignment on a school, by the source system's external ids."""
    unit_ext, role_ext = str(uuid.uuid4()), str(uuid.uuid4())
    tenant.create("/api/v1/units", {"name": "Benchskolan", "kind": "school", "external_id": unit_ext})
    tenant.role("Skolsköterska", role_ext)
    return user_file(
        [
            {
                "external_id": f"bench-{k:06d}",
                "first_name": "Bench",
                "last_name": f"Användare {k}",
                "email": f"bench-{k:06d}@bench.elevhalsa.se",
                "assignments": [{"role": role_ext, "unit": unit_ext}],
            }
            for k in range(count)
        ]
    )


def import_once(api: Api, tenant: Tenant, content: bytes, timeout: float) -> Outcome:
    """Upload, then poll the run until it succeeds or fails (or the timeout passes)."""
    began = time.perf_counter()
    files = {"file": ("users.xml", content, "application/xml")}
    response = api.call("POST", RUNS_PATH, tenant.admin, files=files, timeout=120)
    if response.status_code != 202:
        raise RuntimeError(f"upload refused: HTTP {response.status_code} {response.text[:300]}")
    uploaded = time.perf_counter() - began
    run, unanswered = response.json(), 0
    run_path = f"{RUNS_PATH}/{run['id']}"
    while run["status"] not in ("succeeded", "failed"):
        if time.perf_counter() - began > timeout:
            return Outcome(time.perf_counter() - began, uploaded, run, False, unanswered)
        time.sleep(POLL_SECONDS)
        latest = fetch(api, tenant, run_path)
        unanswered += latest is None
        run = latest or run
    return Outcome(time.perf_counter() - began, uploaded, run, True, unanswered)


def fetch(api: Api, tenant: Tenant, path: str) -> dict | None:
    """The run, or None when the gateway says the imports service did not answer in time."""
    try:
        response = api.call("GET", path, tenant.admin, timeout=30)
    except httpx.TimeoutException as error:
        raise RuntimeError(f"GET {path} timed out") from error
    if response.status_code in (503, 504):
        return None
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()


def server_side(run: dict) -> str:
    """The run's own timestamps: queued → file read → finished."""
    stamp = {
        key: datetime.fromisoformat(run[key])
        for key in ("created_at", "file_read_at", "finished_at")
        if run[key]
    }
    if len(stamp) < 3:
        return ""
    read = (stamp["file_read_at"] - stamp["created_at"]).total_seconds()
    total = (stamp["finished_at"] - stamp["created_at"]).total_seconds()
    return f"run's own clock: file read after {read:.1f} s, finished after {total:.1f} s"


def figure(label: str, outcome: Outcome, limit: float, expected: dict[str, int], users: int) -> Figure:
    """The run against its budget, which holds for 100,000 users only (a --quick run has none)."""
    problems = outcome.problems(expected)
    how = f"{users:,} users, from upload to status succeeded (upload took {outcome.upload_seconds:.1f} s)"
    if not outcome.finished:
        how = f"{users:,} users; not finished after {outcome.seconds:.0f} s ({CAP}x the budget; --patient waits)"
    note = "; ".join(filter(None, [how, server_side(outcome.run), *problems]))
    budget = at_most(limit) if users == FULL_USERS else None
    return Figure(
        NAME, label, outcome.seconds, "s", budget, note, len(problems), lower_bound=not outcome.finished
    )


def figures(users: int, first: Outcome, rerun: Outcome | None) -> list[Figure]:
    """The first run and the rerun against their budgets."""
    created = {"created": users, "activated": 0, "deactivated": 0, "updated": 0}
    unchanged = dict.fromkeys(created, 0)
    result = [figure(f"first run, {users:,} users", first, FIRST_BUDGET, created, users)]
    if rerun is None:
        skipped = "not run: it needs the first run to have finished"
        return result + [
            Figure(NAME, "rerun, no changes", None, "s", at_most(RERUN_BUDGET), skipped, skipped=True)
        ]
    return result + [figure("rerun, no changes", rerun, RERUN_BUDGET, unchanged, users)]
