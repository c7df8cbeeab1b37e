"""PrestaShop's official webservice client (PSWebServiceLibrary.php, as QloApps' docs recommend) on php-cli against
the real simulator process: one integrator's session, reported step by step.

`session.php` asserts what a PHP integrator reads (`(string)$rt->name->language`, association nodes, error codes);
each step below passes only if that step of the session did.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pms.simserver import qloapps_simulator

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
STEPS = [
    "list hotels with a filter, sort and limit",
    "get one hotel (full by default)",
    "list room types with a filter, sort and limit",
    "get one room type with display: only the id comes back",
    "hotel_ari search",
    "add a customer: the phone is required on a default install",
    "edit a customer: a PUT replaces the whole record",
    "hotel_rooms GET, edit, PUT back: id_hotel is not writable",
    "add a booking with total_tax per room",
    "add a booking without total_tax: HTTP 500 code 3, yet the order exists",
    "get a booking",
    "cancel a booking with PUT bookings (booking_status 3)",
    "cancel through order_histories",
    "delete customers, one and several",
    "head and errors as the client reports them",
]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    php = shutil.which("php")
    if php is None:
        pytest.fail("php-cli is missing: install php-cli, php-curl and php-xml (.ci/run does)")
    modules = subprocess.run([php, "-m"], capture_output=True, text=True, check=True).stdout.split()
    missing = [m for m in ("curl", "SimpleXML", "json") if m not in modules]
    if missing:
        pytest.fail(f"php lacks {', '.join(missing)}: install php-curl and php-xml")
    with qloapps_simulator(Path(tmp_path_factory.mktemp("php-client"))) as (url, key):
        run = subprocess.run([php, str(HERE / "session.php"), url, key], capture_output=True, text=True, timeout=120)
    steps = {}
    for line in run.stdout.splitlines():
        row = json.loads(line)
        steps[row["step"]] = row
        print(f"{'ok  ' if row['ok'] else 'FAIL'} {row['step']}: {json.dumps(row['detail'])[:300]}")
    assert run.stderr.strip() == "", run.stderr
    yield steps


def test_the_session_ran_every_step_in_order(session):
    assert list(session) == STEPS


@pytest.mark.parametrize("step", STEPS)
def test_step(session, step: str):
    row = session.get(step)
    assert row is not None, f"step {step!r} never ran"
    assert row["ok"], row["detail"]
