"""Answers about the hotel itself (times, location, amenities) from its QloApps facts."""

from __future__ import annotations

from agent.brain.dialogue.decision import Decision
from agent.brain.dialogue.facts import (
    HotelView,
)
from agent.brain.dialogue.replies import Reply, Say, SendLocation
from agent.brain.dialogue.state import ConversationState

_FEATURE_WORDS = {
    "wifi": ("wi-fi", "wifi", "internet"),
    "breakfast": ("breakfast", "desayuno"),
    "parking": ("parking", "aparcamiento"),
    "pool": ("pool", "piscina"),
    "gym": ("gym", "fitness", "gimnasio"),
    "spa": ("spa", "massage"),
    "pets": ("pet", "mascota"),
    "restaurant": ("restaurant", "restaurante"),
    "airport_shuttle": ("shuttle", "airport", "aeropuerto"),
    "laundry": ("laundry", "lavander"),
}


def _matching_feature(amenity: str, features: tuple[str, ...]) -> str | None:
    """A QloApps hotel feature that answers the amenity asked about."""
    words = _FEATURE_WORDS.get(amenity, (amenity,))
    return next((f for f in features if any(w in f.lower() for w in words)), None)


def on_hotel(st: ConversationState, hotel: HotelView) -> Decision:
    q = st.question or {}
    st.question = None
    topic = q.get("topic")
    if topic == "times":
        return Decision(st, [Say("info.times", {"check_in": hotel.check_in, "check_out": hotel.check_out})])
    if topic == "location":
        address = ", ".join(p for p in (hotel.address, hotel.zipcode, hotel.city) if p)
        replies: list[Reply] = [Say("info.location", {"name": hotel.name, "address": address, "phone": hotel.phone})]
        if hotel.latitude is not None and hotel.longitude is not None:
            replies.append(SendLocation(hotel.latitude, hotel.longitude, hotel.name, address))
        return Decision(st, replies)
    amenity = q.get("amenity")
    info = (hotel.knowledge.get("amenities") or {}).get(amenity) if amenity else None
    if amenity and info:
        return Decision(st, [Say("info.amenity", {"amenity": amenity, "info": info})])
    feature = _matching_feature(amenity, hotel.features) if amenity else None
    if feature:
        return Decision(st, [Say("info.amenity_yes", {"amenity": amenity, "feature": feature})])
    if amenity:
        return Decision(st, [Say("info.amenity_unknown", {"amenity": amenity, "features": hotel.features})])
    return Decision(st, [Say("info.amenities", {"features": hotel.features})])
