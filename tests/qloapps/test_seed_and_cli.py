"""Seed data (demo, Faker, fixture) and the two ways of starting the simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from simulators.qloapps.config import DEFAULT_API_KEY, SimConfig
from simulators.qloapps.seed import add_faker_hotels, demo_seed, load_fixture
from simulators.qloapps.server import free_port
from tests.qloapps.conftest import rt_row

ROOT = Path(__file__).resolve().parents[2]


def test_demo_seed_is_the_fresh_install_hotel():
    seed = demo_seed()
    assert [h.hotel_name for h in seed.hotels] == ["The Hotel Prime"]
    assert [(rt.id, rt.name, rt.price) for rt in seed.room_types] == [
        (1, "General Rooms", Decimal(1000)), (2, "Delux Rooms", Decimal(1500)),
        (3, "Executive Rooms", Decimal(2000)), (4, "Luxury Rooms", Decimal(2500)),
    ]  # fmt: skip
    assert [r.room_num for r in seed.rooms if r.id_product == 1] == [f"GR-10{k}" for k in range(1, 6)]
    assert [r.room_num for r in seed.rooms][-1] == "LR-105" and len(seed.rooms) == 20
    rt = seed.room_types[0]
    assert (rt.adults, rt.children, rt.max_adults, rt.max_children, rt.max_guests) == (2, 2, 2, 2, 4)
    assert (seed.hotels[0].check_in, seed.hotels[0].check_out) == ("12:00", "11:00")


def test_faker_hotels_are_deterministic_per_seed():
    a = add_faker_hotels(demo_seed(), 3, 7)
    b = add_faker_hotels(demo_seed(), 3, 7)
    c = add_faker_hotels(demo_seed(), 3, 8)
    names = lambda s: [(h.id, h.hotel_name, h.city) for h in s.hotels]  # noqa: E731
    assert names(a) == names(b) and names(a) != names(c)
    assert [(r.id, r.room_num) for r in a.rooms] == [(r.id, r.room_num) for r in b.rooms]
    assert len(a.hotels) == 4 and all(rt.id_hotel in {h.id for h in a.hotels} for rt in a.room_types)
    assert len({r.id for r in a.rooms}) == len(a.rooms)


def test_fixture_file_replaces_the_seed(tmp_path: Path):
    path = tmp_path / "hotel.yaml"
    path.write_text(
        "tax_rate: 21\n"
        "currencies: [{iso_code: USD, name: Dollar, sign: $}]\n"
        "hotels:\n"
        "  - hotel_name: Hotel Sol\n"
        "    features: [Wi-Fi]\n"
        "    room_types:\n"
        "      - {name: Doble, price: 90, rooms: [D-1, D-2], feature_prices: [{name: Summer, impact_way: 2,\n"
        "         impact_type: 1, impact_value: 50, date_from: 2027-07-01, date_to: 2027-08-31}]}\n"
        "      - {name: Suite, price: 200, rooms: 3}\n"
    )
    seed = load_fixture(path)
    assert [h.hotel_name for h in seed.hotels] == ["Hotel Sol"]
    assert [r.room_num for r in seed.rooms] == ["D-1", "D-2", "SU-101", "SU-102", "SU-103"]
    assert seed.currencies[0].iso_code == "USD" and seed.tax_groups[0].rate == Decimal(21)
    assert seed.feature_prices[0].impact_value == Decimal(50)
    bad = tmp_path / "bad.json"
    bad.write_text('{"hotels": [{"hotel_name": "X", "room_types": [], "colour": "red"}]}')
    with pytest.raises(ValueError, match="colour"):
        load_fixture(bad)


def test_unknown_version_is_refused():
    with pytest.raises(ValueError, match="1.7.0, 1.6.1"):
        SimConfig(qloapps_version="1.5.0")


def start(args: list[str]) -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = [proc.stdout.readline() for _ in range(3)]
    return proc, lines[0], "".join(lines)


@pytest.mark.e2e
@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-m", "simulators.qloapps"], [str(Path(sys.executable).with_name("hotelero")), "sim", "qloapps"]],
    ids=["python-m", "hotelero"],
)
def test_cli_prints_base_url_and_key_and_serves(command: list[str]):
    port = free_port()
    proc, first, head = start([*command, "--port", str(port), "--hotels", "2", "--seed", "5",
                               "--qloapps-version", "1.6.1"])  # fmt: skip
    try:
        assert f"http://127.0.0.1:{port}" in first and "1.6.1" in first
        assert DEFAULT_API_KEY in head
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/_sim/health", timeout=1).json()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("QloApps simulator did not start") from None
                time.sleep(0.1)
        assert health["qloapps_version"] == "1.6.1" and health["hotels"] == 3
        hotels = httpx.get(f"http://127.0.0.1:{port}/api/hotels", params={"output_format": "JSON"},
                           auth=(DEFAULT_API_KEY, "")).json()  # fmt: skip
        assert hotels == {"hotels": [{"id": 1}, {"id": 2}, {"id": 3}]}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def test_cli_refuses_a_bad_version():
    r = subprocess.run([sys.executable, "-m", "simulators.qloapps", "--qloapps-version", "2.0"], cwd=ROOT,
                       capture_output=True, text=True, timeout=30, env={**os.environ})  # fmt: skip
    assert r.returncode == 2 and "1.7.0, 1.6.1" in r.stderr


@pytest.mark.e2e
def test_fixture_server_prices_with_feature_prices_and_tax_and_uses_its_keys(tmp_path: Path):
    from simulators.qloapps.server import ThreadedSimulator

    path = tmp_path / "fx.json"
    path.write_text(json.dumps({
        "tax_rate": 21,
        "api_keys": [{"key": "FIXTUREKEY0000000000000000000001", "permissions": {"hotel_ari": ["POST"]}}],
        "hotels": [{"hotel_name": "Hotel Sol", "room_types": [{"name": "Doble", "price": 100, "rooms": 2,
                    "feature_prices": [{"name": "Weekend", "impact_way": 2, "impact_type": 1, "impact_value": 50,
                                        "date_from": "2027-07-01", "date_to": "2027-07-31",
                                        "special_days": ["sat"]}]}]}],
    }))  # fmt: skip
    with ThreadedSimulator(SimConfig(fixture=path)) as sim:
        auth = ("FIXTUREKEY0000000000000000000001", "")
        body = ("<qloapps><hotel_ari><id_hotel>1</id_hotel><date_from>2027-07-02</date_from>"
                "<date_to>2027-07-05</date_to></hotel_ari></qloapps>")  # fmt: skip
        r = httpx.post(f"{sim.base_url}/api/hotel_ari", params={"output_format": "JSON"}, content=body, auth=auth)
        rt = rt_row(r.json()["hotel_ari"], 1)
        # Fri 100 + Sat 150 + Sun 100 = 350 tax excluded; 21 % tax.
        assert (rt["total_price"], rt["total_price_with_tax"], rt["base_price"]) == (350, 423.5, 116.67)
        denied = httpx.get(f"{sim.base_url}/api/hotels", params={"output_format": "JSON"}, auth=auth)
        assert denied.status_code == 401 and denied.json()["errors"][0]["code"] == 26
        default = httpx.get(f"{sim.base_url}/api/hotels", auth=(DEFAULT_API_KEY, ""))
        assert default.status_code == 401 and "<code><![CDATA[20]]></code>" in default.text
