"""Seed data: the fresh-install demo hotel, extra Faker hotels (deterministic per seed), or a fixture file."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulators.qloapps.config import ApiKey
from simulators.qloapps.models import (
    Currency,
    FeaturePrice,
    Hotel,
    HotelFeature,
    Language,
    RefundRule,
    Room,
    RoomType,
    TaxRulesGroup,
)
from simulators.qloapps.state import SeedData

COUNTRIES = {"ES": 6, "US": 21, "FR": 8, "GB": 17, "DE": 1, "IT": 10, "PT": 15, "IN": 110}

# Demo hotel of a fresh install (HotelHelper::saveDummy*): four room types, five rooms each.
DEMO_ROOM_TYPES = (("General Rooms", "GR", 1000), ("Delux Rooms", "DR", 1500), ("Executive Rooms", "ER", 2000),
                   ("Luxury Rooms", "LR", 2500))  # fmt: skip

# Hotel features tree (parents with children), as the install's feature list is organised.
DEMO_FEATURES = {
    "Business Center": ["Business Center", "Printing and Copying"],
    "Complimentary": ["Wi-Fi", "Breakfast", "Welcome Drink"],
    "Entertainment": ["Swimming Pool", "Gym", "Spa"],
    "Facilities": ["Parking", "Laundry", "Airport Shuttle", "24-Hour Front Desk"],
    "Restaurant": ["Restaurant", "Room Service", "Bar"],
}


def base_seed() -> SeedData:
    """Languages, currencies, tax, features and refund rules shared by every seed."""
    features: list[HotelFeature] = []
    for pos, (parent, children) in enumerate(DEMO_FEATURES.items()):
        pid = len(features) + 1
        features.append(HotelFeature(pid, parent, 0, pos))
        for cpos, child in enumerate(children):
            features.append(HotelFeature(len(features) + 1, child, pid, cpos))
    return SeedData(
        languages=[Language(1, "English (English)", "en", "en-us")],
        currencies=[
            Currency(1, "Euro", "EUR", "978", "€"),
            Currency(2, "US Dollar", "USD", "840", "$", Decimal("1.08")),
        ],
        default_currency_id=1,
        # The install's tax setup depends on the chosen country; one 10% hotel tax group is the simulator's choice.
        tax_groups=[TaxRulesGroup(1, "Hotel tax (10%)", Decimal("10"))],
        features=features,
        refund_rules=[
            RefundRule(1, "More than 15 days before arrival", 15, 2, Decimal("10"), Decimal("20")),
            RefundRule(2, "7 to 14 days before arrival", 7, 2, Decimal("50"), Decimal("60")),
            RefundRule(3, "Less than a week before arrival", 0, 2, Decimal("100"), Decimal("100")),
        ],
        hotels=[],
        room_types=[],
        rooms=[],
        feature_prices=[],
    )


def demo_seed() -> SeedData:
    """Exactly the fresh-install demo: hotel 1 "The Hotel Prime", room types 1-4, rooms GR-101..LR-105."""
    seed = base_seed()
    seed.hotels.append(
        Hotel(
            id=1,
            hotel_name="The Hotel Prime",
            email="hotelprime@htl.com",
            phone="0987654321",
            address="Monticello Dr",
            city="Montgomery",
            zipcode="36117",
            id_country=21,
            id_state=1,
            rating=4,
            check_in="12:00",
            check_out="11:00",
            policies="1. Intelligentsia next level hoodie. 2. Check-in from 12:00, check-out until 11:00.",
            description="A comfortable hotel close to the city centre.",
            short_description="The Hotel Prime",
            latitude="32.3617",
            longitude="-86.2792",
            feature_ids=[f.id for f in seed.features],
            refund_rule_ids=[r.id for r in seed.refund_rules],
        )
    )
    for n, (name, prefix, price) in enumerate(DEMO_ROOM_TYPES, start=1):
        seed.room_types.append(
            RoomType(id=n, id_hotel_room_type=n, id_hotel=1, name=name, price=Decimal(price), reference=prefix)
        )
        for k in range(1, 6):
            seed.rooms.append(Room(len(seed.rooms) + 1, n, 1, f"{prefix}-10{k}", floor="First"))
    return seed


def add_faker_hotels(seed: SeedData, count: int, rng_seed: int) -> SeedData:
    """Append `count` generated hotels; the same (count, rng_seed) always gives the same hotels."""
    import random

    from faker import Faker

    fake = Faker("es_ES")
    fake.seed_instance(rng_seed)
    rnd = random.Random(rng_seed)
    kinds = [("Single Room", 1, 0, 1), ("Double Room", 2, 1, 3), ("Twin Room", 2, 0, 2), ("Junior Suite", 2, 2, 4),
             ("Family Room", 2, 2, 5), ("Suite", 2, 2, 4)]  # fmt: skip
    for _ in range(count):
        hid = max((h.id for h in seed.hotels), default=0) + 1
        country = rnd.choice(["ES", "US", "FR", "PT"])
        seed.hotels.append(
            Hotel(
                id=hid,
                hotel_name=f"Hotel {fake.last_name()} {rnd.choice(['Plaza', 'Palace', 'Garden', 'Mar', 'Centro'])}",
                email=f"reservas{hid}@{fake.domain_name()}",
                phone=fake.numerify("+34 9## ### ###"),
                address=fake.street_address(),
                city=fake.city(),
                zipcode=fake.postcode(),
                id_country=COUNTRIES[country],
                rating=rnd.randint(2, 5),
                check_in=rnd.choice(["12:00", "14:00", "15:00"]),
                check_out=rnd.choice(["10:00", "11:00", "12:00"]),
                policies=fake.sentence(nb_words=12),
                description=fake.paragraph(nb_sentences=2),
                latitude=f"{fake.latitude():.6f}",
                longitude=f"{fake.longitude():.6f}",
                feature_ids=sorted(rnd.sample([f.id for f in seed.features], k=min(8, len(seed.features)))),
                refund_rule_ids=[r.id for r in seed.refund_rules],
            )
        )
        for kind in rnd.sample(kinds, k=rnd.randint(2, 4)):
            name, adults, children, guests = kind
            rid = max((rt.id for rt in seed.room_types), default=0) + 1
            seed.room_types.append(
                RoomType(
                    id=rid,
                    id_hotel_room_type=rid,
                    id_hotel=hid,
                    name=name,
                    price=Decimal(rnd.randrange(60, 400, 5)),
                    adults=adults,
                    children=children,
                    max_adults=max(adults, 1) + (1 if guests > adults + children else 0),
                    max_children=children,
                    max_guests=guests,
                    min_los=rnd.choice([1, 1, 1, 2]),
                    reference=name[:2].upper(),
                )
            )
            floor = rnd.randint(1, 6)
            for k in range(1, rnd.randint(3, 8) + 1):
                seed.rooms.append(Room(len(seed.rooms) + 1, rid, hid, f"{hid}{floor}{k:02d}", floor=str(floor)))
    return seed


# ---- fixture files ------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FixtureFeaturePrice(_Strict):
    name: str
    impact_way: int = Field(ge=1, le=3)
    impact_type: int = Field(ge=1, le=2)
    impact_value: Decimal
    date_from: date
    date_to: date
    special_days: list[str] = []


class FixtureRoomType(_Strict):
    name: str
    price: Decimal
    adults: int = 2
    children: int = 0
    max_adults: int = 2
    max_children: int = 0
    max_guests: int = 2
    min_los: int = 1
    max_los: int = 0
    rooms: list[str] | int = 5
    feature_prices: list[FixtureFeaturePrice] = []


class FixtureHotel(_Strict):
    hotel_name: str
    email: str = "hotel@example.com"
    phone: str = "+34 900 000 000"
    address: str = "Calle Mayor 1"
    city: str = "Madrid"
    zipcode: str = "28013"
    country_iso: str = "ES"
    rating: int = 3
    check_in: str = "12:00"
    check_out: str = "11:00"
    policies: str = ""
    description: str = ""
    features: list[str] | None = None  # feature names; None = every feature
    room_types: list[FixtureRoomType]

    @field_validator("country_iso")
    @classmethod
    def _known_country(cls, v: str) -> str:
        if v not in COUNTRIES:
            raise ValueError(f"unknown country_iso {v!r}; use one of {sorted(COUNTRIES)}")
        return v


class FixtureRefundRule(_Strict):
    name: str
    days: int = Field(ge=0)
    payment_type: int = Field(2, ge=1, le=2)
    deduction_value_full_pay: Decimal
    deduction_value_adv_pay: Decimal | None = None


class FixtureCurrency(_Strict):
    iso_code: str
    name: str
    sign: str = ""
    iso_code_num: str = "000"
    conversion_rate: Decimal = Decimal("1")


class FixtureKey(_Strict):
    """A webservice key; `permissions` maps resource -> methods, or is omitted for full access."""

    key: str = Field(min_length=1)
    active: bool = True
    permissions: dict[str, list[str]] | None = None
    description: str = ""


class Fixture(_Strict):
    """A replacement seed: hotels with room types and rooms, refund rules, currencies (first = default), keys."""

    hotels: list[FixtureHotel] = Field(min_length=1)
    api_keys: list[FixtureKey] | None = None
    refund_rules: list[FixtureRefundRule] | None = None
    currencies: list[FixtureCurrency] | None = None
    tax_rate: Decimal = Decimal("10")


def read_fixture(path: Path) -> Fixture:
    """Parse and validate a JSON or YAML fixture file; ValueError naming the offending field."""
    text = path.read_text(encoding="utf-8")
    raw: Any = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    return Fixture.model_validate(raw)


def fixture_keys(path: Path) -> list[ApiKey] | None:
    """The webservice keys a fixture declares (None: keep the default key)."""
    fx = read_fixture(path)
    if fx.api_keys is None:
        return None
    return [
        ApiKey(k.key, k.active, {r: {m.upper() for m in ms} for r, ms in k.permissions.items()}
               if k.permissions is not None else None, k.description)
        for k in fx.api_keys
    ]  # fmt: skip


def load_fixture(path: Path) -> SeedData:
    """Read a JSON or YAML fixture; ValueError with the offending field when it does not validate."""
    fx = read_fixture(path)
    seed = base_seed()
    seed.tax_groups = [TaxRulesGroup(1, f"Hotel tax ({fx.tax_rate}%)", fx.tax_rate)]
    if fx.currencies:
        seed.currencies = [
            Currency(i, c.name, c.iso_code, c.iso_code_num, c.sign or c.iso_code, c.conversion_rate)
            for i, c in enumerate(fx.currencies, start=1)
        ]
    if fx.refund_rules is not None:
        seed.refund_rules = [
            RefundRule(i, r.name, r.days, r.payment_type, r.deduction_value_full_pay,
                       r.deduction_value_full_pay if r.deduction_value_adv_pay is None else r.deduction_value_adv_pay)
            for i, r in enumerate(fx.refund_rules, start=1)
        ]  # fmt: skip
    by_name = {f.name: f.id for f in seed.features}
    for hid, h in enumerate(fx.hotels, start=1):
        unknown = [n for n in (h.features or []) if n not in by_name]
        feature_ids = [by_name[n] for n in h.features] if h.features is not None else [f.id for f in seed.features]
        if unknown:
            raise ValueError(f"hotel {h.hotel_name!r}: unknown features {unknown}; known: {sorted(by_name)}")
        seed.hotels.append(
            Hotel(
                id=hid, hotel_name=h.hotel_name, email=h.email, phone=h.phone, address=h.address, city=h.city,
                zipcode=h.zipcode, id_country=COUNTRIES[h.country_iso], rating=h.rating, check_in=h.check_in,
                check_out=h.check_out, policies=h.policies, description=h.description,
                feature_ids=feature_ids,
                refund_rule_ids=[r.id for r in seed.refund_rules],
            )
        )  # fmt: skip
        for t in h.room_types:
            rid = len(seed.room_types) + 1
            seed.room_types.append(
                RoomType(
                    id=rid, id_hotel_room_type=rid, id_hotel=hid, name=t.name, price=t.price, adults=t.adults,
                    children=t.children, max_adults=t.max_adults, max_children=t.max_children,
                    max_guests=t.max_guests, min_los=t.min_los, max_los=t.max_los,
                )
            )  # fmt: skip
            numbers = (
                t.rooms
                if isinstance(t.rooms, list)
                else [f"{t.name[:2].upper()}-{100 + k}" for k in range(1, t.rooms + 1)]
            )
            for num in numbers:
                seed.rooms.append(Room(len(seed.rooms) + 1, rid, hid, num))
            for fp in t.feature_prices:
                seed.feature_prices.append(
                    FeaturePrice(
                        len(seed.feature_prices) + 1, rid, fp.name, fp.impact_way, fp.impact_type, fp.impact_value,
                        fp.date_from, fp.date_to, 2 if fp.special_days else 1, list(fp.special_days),
                    )
                )  # fmt: skip
    return seed
