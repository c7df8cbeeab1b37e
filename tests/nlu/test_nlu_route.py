"""POST /nlu/parse through FastAPI's TestClient: contract shape, defaults from app.state, 422 on bad input."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from agent.clock import FrozenClock
from agent.nlu_routes import router


def make_client(**state: object) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    for key, value in state.items():
        setattr(app.state, key, value)
    return TestClient(app)


def test_parse_answers_exactly_the_contract_shape() -> None:
    client = make_client()
    response = client.post(
        "/nlu/parse", json={"text": "Quiero reservar del 3 al 5 de diciembre", "reference_date": "2026-11-25"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"language", "intent", "confidence", "entities"}
    assert body["language"] == "es"
    assert body["intent"] == "book"
    assert 0.0 <= body["confidence"] <= 1.0
    assert body["entities"] == {"check_in": "2026-12-03", "check_out": "2026-12-05", "nights": 2}


def test_only_found_entities_are_in_the_answer() -> None:
    body = make_client().post("/nlu/parse", json={"text": "hola", "reference_date": "2026-11-25"}).json()
    assert body == {"language": "es", "intent": "greeting", "confidence": body["confidence"], "entities": {}}


def test_default_reference_date_is_today_in_the_hotel_time_zone() -> None:
    # 23:30 UTC on 30 November is already 1 December in Madrid, so "mañana" is 2 December.
    clock = FrozenClock(datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    client = make_client(clock=clock, settings=SimpleNamespace(timezone="Europe/Madrid"))
    body = client.post("/nlu/parse", json={"text": "habitación para mañana"}).json()
    assert body["entities"]["check_in"] == "2026-12-02"
    client = make_client(clock=clock, settings=SimpleNamespace(timezone="America/New_York"))
    body = client.post("/nlu/parse", json={"text": "habitación para mañana"}).json()
    assert body["entities"]["check_in"] == "2026-12-01"


def test_previous_language_breaks_ties_for_short_messages() -> None:
    client = make_client()
    body = client.post("/nlu/parse", json={"text": "ok", "reference_date": "2026-11-25", "previous_language": "en"})
    assert body.json()["language"] == "en"


@pytest.mark.parametrize(
    "bad", ["2026-02-30", "2026-13-01", "25/11/2026", "20261125", "2026-11-25T10:00:00", "", 20261125]
)
def test_bad_reference_date_is_422_with_a_hint(bad: object) -> None:
    response = make_client().post("/nlu/parse", json={"text": "hola", "reference_date": bad})
    assert response.status_code == 422
    assert "reference_date" in response.text


@pytest.mark.parametrize(
    "payload", [{}, {"text": None}, {"text": 3}, {"text": "hola", "extra": 1}, {"text": "x", "previous_language": "fr"}]
)
def test_malformed_bodies_are_422(payload: dict) -> None:
    assert make_client().post("/nlu/parse", json=payload).status_code == 422
