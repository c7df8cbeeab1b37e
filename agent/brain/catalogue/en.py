"""English reply texts. Keys are shared with es.py; a value is a format string or a function of the params."""

from __future__ import annotations

from typing import Any

from agent.brain.catalogue.format import money, nice_date

AMENITY = {
    "wifi": "Wi-Fi", "breakfast": "breakfast", "parking": "parking", "pool": "pool", "gym": "gym", "spa": "spa",
    "pets": "pets", "restaurant": "restaurant", "airport_shuttle": "airport shuttle", "laundry": "laundry",
}  # fmt: skip


def _offers(p: dict[str, Any]) -> str:
    lines = [
        f"• {o['name']}: {money(o['nightly'], o['currency'])}/night, "
        f"{money(o['total'], o['currency'])} in total (tax incl.)"
        for o in p["offers"]
    ]
    head = (
        f"Available from {nice_date(p['check_in'], 'en')} to {nice_date(p['check_out'], 'en')} "
        f"({p['nights']} night{'s' if p['nights'] != 1 else ''}, {p['adults']} adult{'s' if p['adults'] != 1 else ''}"
        f"{_kids(p.get('children', 0))}):"
    )
    return head + "\n" + "\n".join(lines) + "\n\nWhich room would you like?"


def _alternatives(p: dict[str, Any]) -> str:
    lines = [
        f"• {nice_date(o['check_in'], 'en')} to {nice_date(o['check_out'], 'en')}: {o['name']}, "
        f"{money(o['total'], o['currency'])} in total"
        for o in p["options"]
    ]
    return "These nearby dates have rooms free:\n" + "\n".join(lines) + "\n\nTap the dates that suit you."


def _kids(n: int) -> str:
    return f", {n} {'child' if n == 1 else 'children'}" if n else ""


def _summary(p: dict[str, Any]) -> str:
    return (
        "Please check your booking:\n"
        f"• Room: {p['room']}\n"
        f"• Check-in: {nice_date(p['check_in'], 'en')}\n"
        f"• Check-out: {nice_date(p['check_out'], 'en')} ({p['nights']} nights)\n"
        f"• Guests: {p['adults']} adult{'s' if p['adults'] != 1 else ''}{_kids(p['children'])}\n"
        f"• Rooms: {p['rooms']}\n"
        f"• Name: {p['name']}\n"
        f"• Email: {p['email']}\n"
        f"• Total: {money(p['total'], p['currency'])} (tax incl., pay at the hotel)\n\n"
        "Shall I confirm it?"
    )


def _terms(p: dict[str, Any]) -> str:
    head = (
        f"Booking {p['reference']}: {p['room']}, {nice_date(p['check_in'], 'en')} to "
        f"{nice_date(p['check_out'], 'en')}, {money(p['total'], p['currency'])}.\n"
    )
    if not p["rules"] or p["free"]:
        terms = "Cancelling now is free of charge."
    elif p["percent"] is not None:
        terms = (
            f"Cancellation terms ({p['days']} days before arrival): a {p['percent']:.0f}% fee, "
            f"{money(p['fee'], p['currency'])}; refund of {money(p['refund'], p['currency'])} of the amount paid."
        )
    else:
        terms = (
            f"Cancellation terms ({p['days']} days before arrival): a fee of {money(p['fee'], p['currency'])}; "
            f"refund of {money(p['refund'], p['currency'])} of the amount paid."
        )
    return head + terms + "\n\nDo you want to cancel it?"


def _features(p: dict[str, Any]) -> str:
    feats = p["features"]
    if not feats:
        return "Ask me about Wi-Fi, breakfast, parking, pets or anything else about the hotel."
    return "The hotel offers: " + ", ".join(feats) + "."


TEXTS: dict[str, Any] = {
    "greeting": "Hello! I'm the hotel's virtual receptionist. I can check availability and prices, book, change "
    "or cancel a booking, and answer questions about the hotel. How can I help?",
    "thanks": "You're welcome! Anything else I can do for you?",
    "goodbye": "Goodbye, and thank you for writing to us. See you soon!",
    "unknown": "Sorry, I didn't understand that. I can check availability, manage your booking or put you in "
    "touch with a person.",
    "unknown.in_flow": "Sorry, I didn't get that.",
    "confirm.reminder": "Please tap a button to answer: shall I go ahead?",
    "error.internal": "Sorry, something went wrong on my side. A member of staff will take over this chat shortly.",
    "media.text_only": "Sorry, I can only read text for now. Please write your question, or talk to a person.",
    "nothing_pending": "There is nothing waiting for confirmation. How can I help?",
    "ok": "All right. Anything else?",
    "ask.dates_and_guests": "Sure! For which dates (check-in and check-out) and how many guests?",
    "ask.dates": "For which dates? Tell me the check-in and check-out days (e.g. Dec 3-5).",
    "ask.checkout": lambda p: f"Check-in {nice_date(p['check_in'], 'en')}. Until when, or for how many nights?",
    "ask.guests": "How many guests (adults, and children if any)?",
    "ask.rooms_for_party": "{guests} guests need more than one room (at most {max} per room). How many rooms would "
    "you like?",
    "ask.name": lambda p: f"Great choice: {p['room']}. What is the full name for the booking?",
    "ask.email": "And an email address for the confirmation?",
    "ask.lookup": "Please send me your booking reference (9 letters) and the email used for the booking.",
    "ask.lookup_reference": "Thanks. And the booking reference (9 letters)? If you don't have it, a member of staff "
    "can look it up.",
    "ask.lookup_email": "Thanks. Which email address was the booking {reference} made with?",
    "dates.past": "Those dates are in the past. Which dates would you like?",
    "dates.invalid": "The check-out must be after the check-in. Which dates would you like?",
    "dates.too_long": "I can book up to {max} nights here; for longer stays please talk to a person.",
    "guests.invalid": "That number of guests doesn't look right. How many adults and children?",
    "offers.buttons": _offers,
    "offers.list": _offers,
    "offers.none": lambda p: (
        f"Sorry, there are no rooms free from {nice_date(p['check_in'], 'en')} to "
        f"{nice_date(p['check_out'], 'en')}. Let me look at nearby dates…"
    ),
    "offers.room_type_gone": "The {room} is not available on those dates, but these rooms are:",
    "alternatives.offer": _alternatives,
    "alternatives.none": "I couldn't find free rooms on nearby dates either. Would you like other dates, or to talk "
    "to a person?",
    "book.summary": _summary,
    "book.done": lambda p: (
        f"Booking confirmed! Your reference is {p['reference']}. {p['room']}, "
        f"{nice_date(p['check_in'], 'en')} to {nice_date(p['check_out'], 'en')}, "
        f"{money(p['total'], p['currency'])}. Check-in is from {p['check_in_time']}. See you soon!"
    ),
    "book.already": "That booking is already confirmed: reference {reference}. Nothing was booked twice.",
    "book.uncertain": "The hotel system did not answer in time, so I can't tell yet whether your booking went "
    "through. Please don't book again: a member of staff will check and confirm it in this chat shortly.",
    "book.aborted": "No problem, I haven't booked anything. Anything else?",
    "book.room_gone": "Sorry, that room has just been taken by someone else. Let me check what is still free…",
    "book.rejected": "The hotel system did not accept the booking details. Please send a valid email address, or "
    "talk to a person.",
    "lookup.not_found": "I couldn't find a booking with that reference and email. Please check them and send them "
    "again.",
    "lookup.not_active": "That booking is already cancelled or finished, so there is nothing to change.",
    "lookup.choose": "You have several bookings. Which one?",
    "status.active": lambda p: (
        f"Booking {p['reference']} is confirmed: {p['room']}, "
        f"{nice_date(p['check_in'], 'en')} to {nice_date(p['check_out'], 'en')} ({p['nights']} nights), "
        f"{money(p['total'], p['currency'])}, in the name of {p['name']}."
    ),
    "status.cancelled": lambda p: (
        f"Booking {p['reference']} ({nice_date(p['check_in'], 'en')} to "
        f"{nice_date(p['check_out'], 'en')}) is cancelled."
    ),
    "cancel.terms": _terms,
    "cancel.done": "Done: booking {reference} is cancelled. The room has been released.",
    "cancel.kept": "All right, your booking stays as it is.",
    "cancel.failed": "I couldn't cancel the booking in the hotel system. A member of staff will take over this "
    "chat and get back to you.",
    "modify.ask_dates": "Booking {reference}: what are the new dates?",
    "modify.summary": lambda p: (
        f"Change booking {p['reference']} ({p['room']}) from "
        f"{nice_date(p['check_in'], 'en')}–{nice_date(p['check_out'], 'en')} to "
        f"{nice_date(p['new_check_in'], 'en')}–{nice_date(p['new_check_out'], 'en')}. "
        f"New total: {money(p['new_total'], p['new_currency'])} (tax incl.). Shall I make the change?"
    ),
    "modify.done": lambda p: (
        f"Done! Your new booking is {p['reference']}: {p['room']}, "
        f"{nice_date(p['check_in'], 'en')} to {nice_date(p['check_out'], 'en')}, {money(p['total'], p['currency'])}. "
        f"The old booking {p['old_reference']} has been cancelled."
    ),
    "modify.failed": "I couldn't book the new dates, so your booking {reference} stays as it was.",
    "modify.failed_down": "The hotel system is not responding, so your booking stays as it was. A member of staff "
    "will take over this chat.",
    "modify.unavailable": lambda p: (
        f"There is no room of that type free from {nice_date(p['check_in'], 'en')} to "
        f"{nice_date(p['check_out'], 'en')}. Your booking {p['reference']} stays as it was."
    ),
    "modify.partial": "Your new booking is made but I couldn't cancel the old one. A member of staff will take "
    "over this chat to sort it out.",
    "modify.aborted": "All right, your booking stays as it was.",
    "info.times": "Check-in is from {check_in} and check-out is until {check_out}.",
    "info.location": "{name} is at {address}. Phone: {phone}.",
    "info.amenity": lambda p: p["info"],
    "info.amenity_unknown": lambda p: (
        f"I have no details about {AMENITY.get(p['amenity'], p['amenity'])}. " + _features(p)
    ),
    "info.amenities": _features,
    "info.amenity_yes": "Yes: the hotel has {feature}.",
    "late.offer": "Good news: late check-out until {until} is possible for booking {reference} (standard check-out "
    "is {check_out}). {fee} Reception will confirm it on the day.",
    "late.declined": "Sorry, the hotel is full the following night, so late check-out isn't possible for booking "
    "{reference}. Check-out is until {check_out}; we can keep your luggage.",
    "handoff.requested": "Of course. A member of staff will take over this chat shortly.",
    "handoff.complaint": "I'm very sorry about that. I've passed this to a member of staff, who will take over this "
    "chat shortly.",
    "handoff.misunderstood": "Sorry, I'm not understanding you. A member of staff will take over this chat shortly.",
    "pms.down": "Sorry, the hotel system is not responding right now. Please try again in a few minutes, or talk "
    "to a person.",
    "pms.down_booking": "Sorry, the hotel system is not responding, so I couldn't complete it. Nothing has been "
    "charged. A member of staff will take over this chat shortly.",
    "btn.handoff": "Talk to a person",
    "btn.availability": "Availability",
    "btn.my_booking": "My booking",
    "btn.confirm": "Confirm",
    "btn.abort": "Not now",
    "btn.confirm_cancel": "Yes, cancel it",
    "btn.keep": "Keep booking",
    "list.button": "See options",
    "list.rooms": "See rooms",
    "list.bookings": "See bookings",
}
