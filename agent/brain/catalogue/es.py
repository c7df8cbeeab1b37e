"""Textos de respuesta en español. Mismas claves que en.py; un valor es una cadena de formato o una función."""

from __future__ import annotations

from typing import Any

from agent.brain.catalogue.format import money, nice_date

AMENITY = {
    "wifi": "el wifi", "breakfast": "el desayuno", "parking": "el parking", "pool": "la piscina",
    "gym": "el gimnasio", "spa": "el spa", "pets": "las mascotas", "restaurant": "el restaurante",
    "airport_shuttle": "el traslado al aeropuerto", "laundry": "la lavandería",
}  # fmt: skip


def _offers(p: dict[str, Any]) -> str:
    lines = [
        f"• {o['name']}: {money(o['nightly'], o['currency'])}/noche, "
        f"{money(o['total'], o['currency'])} en total (impuestos incl.)"
        for o in p["offers"]
    ]
    head = (
        f"Disponible del {nice_date(p['check_in'], 'es')} al {nice_date(p['check_out'], 'es')} "
        f"({p['nights']} noche{'s' if p['nights'] != 1 else ''}, "
        f"{p['adults']} adulto{'s' if p['adults'] != 1 else ''}{_kids(p.get('children', 0))}):"
    )
    return head + "\n" + "\n".join(lines) + "\n\n¿Qué habitación prefiere?"


def _alternatives(p: dict[str, Any]) -> str:
    lines = [
        f"• Del {nice_date(o['check_in'], 'es')} al {nice_date(o['check_out'], 'es')}: {o['name']}, "
        f"{money(o['total'], o['currency'])} en total"
        for o in p["options"]
    ]
    return (
        "Hay habitaciones libres en estas fechas cercanas:\n" + "\n".join(lines) + "\n\nPulse las que le vengan bien."
    )


def _kids(n: int) -> str:
    return f", {n} niño{'s' if n != 1 else ''}" if n else ""


def _summary(p: dict[str, Any]) -> str:
    return (
        "Revise su reserva, por favor:\n"
        f"• Habitación: {p['room']}\n"
        f"• Entrada: {nice_date(p['check_in'], 'es')}\n"
        f"• Salida: {nice_date(p['check_out'], 'es')} ({p['nights']} noches)\n"
        f"• Huéspedes: {p['adults']} adulto{'s' if p['adults'] != 1 else ''}{_kids(p['children'])}\n"
        f"• Habitaciones: {p['rooms']}\n"
        f"• Nombre: {p['name']}\n"
        f"• Email: {p['email']}\n"
        f"• Total: {money(p['total'], p['currency'])} (impuestos incl., pago en el hotel)\n\n"
        "¿La confirmo?"
    )


def _terms(p: dict[str, Any]) -> str:
    head = (
        f"Reserva {p['reference']}: {p['room']}, del {nice_date(p['check_in'], 'es')} al "
        f"{nice_date(p['check_out'], 'es')}, {money(p['total'], p['currency'])}.\n"
    )
    if not p["rules"] or p["free"]:
        terms = "Cancelar ahora no tiene gastos."
    elif p["percent"] is not None:
        terms = (
            f"Condiciones de cancelación ({p['days']} días antes de la llegada): gastos del {p['percent']:.0f}%, "
            f"{money(p['fee'], p['currency'])}; se reembolsan {money(p['refund'], p['currency'])} de lo pagado."
        )
    else:
        terms = (
            f"Condiciones de cancelación ({p['days']} días antes de la llegada): gastos de "
            f"{money(p['fee'], p['currency'])}; se reembolsan {money(p['refund'], p['currency'])} de lo pagado."
        )
    return head + terms + "\n\n¿Quiere cancelarla?"


def _features(p: dict[str, Any]) -> str:
    feats = p["features"]
    if not feats:
        return "Pregúnteme por el wifi, el desayuno, el parking, las mascotas o lo que necesite del hotel."
    return "El hotel ofrece: " + ", ".join(feats) + "."


TEXTS: dict[str, Any] = {
    "greeting": "¡Hola! Soy la recepcionista virtual del hotel. Puedo consultar disponibilidad y precios, reservar, "
    "cambiar o cancelar una reserva y responder dudas sobre el hotel. ¿En qué le ayudo?",
    "thanks": "¡De nada! ¿Puedo ayudarle en algo más?",
    "goodbye": "¡Hasta pronto! Gracias por escribirnos.",
    "unknown": "Perdone, no le he entendido. Puedo consultar disponibilidad, gestionar su reserva o ponerle con "
    "una persona.",
    "unknown.in_flow": "Perdone, no le he entendido.",
    "confirm.reminder": "Pulse un botón para contestar: ¿sigo adelante?",
    "error.internal": "Perdone, algo ha fallado por mi parte. Una persona del equipo seguirá esta conversación en "
    "breve.",
    "media.text_only": "Perdone, de momento solo puedo leer texto. Escríbame su consulta o hable con una persona.",
    "nothing_pending": "No hay nada pendiente de confirmar. ¿En qué le ayudo?",
    "ok": "De acuerdo. ¿Algo más?",
    "ask.dates_and_guests": "¡Claro! ¿Para qué fechas (entrada y salida) y cuántas personas?",
    "ask.dates": "¿Para qué fechas? Dígame el día de entrada y el de salida (p. ej. del 3 al 5 de diciembre).",
    "ask.checkout": lambda p: f"Entrada el {nice_date(p['check_in'], 'es')}. ¿Hasta cuándo, o cuántas noches?",
    "ask.guests": "¿Cuántas personas (adultos y, si vienen, niños)?",
    "ask.rooms_for_party": "Para {guests} personas hacen falta varias habitaciones (máximo {max} por habitación). "
    "¿Cuántas habitaciones quiere?",
    "ask.name": lambda p: f"Perfecto: {p['room']}. ¿A nombre de quién hago la reserva (nombre y apellido)?",
    "ask.email": "¿Y un email para enviarle la confirmación?",
    "ask.lookup": "Envíeme el localizador de la reserva (9 letras) y el email con el que se hizo.",
    "ask.lookup_reference": "Gracias. ¿Y el localizador de la reserva (9 letras)? Si no lo tiene, una persona del "
    "equipo puede buscarla.",
    "ask.lookup_email": "Gracias. ¿Con qué email se hizo la reserva {reference}?",
    "dates.past": "Esas fechas ya han pasado. ¿Qué fechas le interesan?",
    "dates.invalid": "La salida tiene que ser posterior a la entrada. ¿Qué fechas le interesan?",
    "dates.too_long": "Por aquí puedo reservar hasta {max} noches; para estancias más largas hable con una persona.",
    "guests.invalid": "Ese número de personas no me cuadra. ¿Cuántos adultos y niños?",
    "offers.buttons": _offers,
    "offers.list": _offers,
    "offers.none": lambda p: (
        f"Lo siento, no quedan habitaciones libres del {nice_date(p['check_in'], 'es')} al "
        f"{nice_date(p['check_out'], 'es')}. Miro fechas cercanas…"
    ),
    "offers.room_type_gone": "La {room} no está disponible en esas fechas, pero sí estas habitaciones:",
    "alternatives.offer": _alternatives,
    "alternatives.none": "Tampoco hay habitaciones libres en fechas cercanas. ¿Quiere probar otras fechas o hablar "
    "con una persona?",
    "book.summary": _summary,
    "book.done": lambda p: (
        f"¡Reserva confirmada! Su localizador es {p['reference']}. {p['room']}, del "
        f"{nice_date(p['check_in'], 'es')} al {nice_date(p['check_out'], 'es')}, {money(p['total'], p['currency'])}. "
        f"La entrada es a partir de las {p['check_in_time']}. ¡Le esperamos!"
    ),
    "book.already": "Esa reserva ya está confirmada: localizador {reference}. No se ha reservado dos veces.",
    "book.uncertain": "El sistema del hotel no respondió a tiempo y aún no sé si su reserva se completó. No la "
    "repita, por favor: una persona del equipo lo comprobará y se la confirmará en este chat en breve.",
    "book.aborted": "Sin problema, no he reservado nada. ¿Algo más?",
    "book.room_gone": "Lo siento, alguien acaba de reservar esa habitación. Miro qué queda libre…",
    "book.rejected": "El sistema del hotel no ha aceptado los datos de la reserva. Envíeme un email válido o hable "
    "con una persona.",
    "lookup.not_found": "No encuentro ninguna reserva con ese localizador y ese email. Revíselos y envíemelos de "
    "nuevo.",
    "lookup.not_active": "Esa reserva ya está cancelada o terminada, así que no hay nada que cambiar.",
    "lookup.choose": "Tiene varias reservas. ¿Cuál?",
    "status.active": lambda p: (
        f"La reserva {p['reference']} está confirmada: {p['room']}, del "
        f"{nice_date(p['check_in'], 'es')} al {nice_date(p['check_out'], 'es')} ({p['nights']} noches), "
        f"{money(p['total'], p['currency'])}, a nombre de {p['name']}."
    ),
    "status.cancelled": lambda p: (
        f"La reserva {p['reference']} (del {nice_date(p['check_in'], 'es')} al "
        f"{nice_date(p['check_out'], 'es')}) está cancelada."
    ),
    "cancel.terms": _terms,
    "cancel.done": "Hecho: la reserva {reference} está cancelada y la habitación, liberada.",
    "cancel.kept": "De acuerdo, su reserva sigue en pie.",
    "cancel.failed": "No he podido cancelar la reserva en el sistema del hotel. Una persona del equipo seguirá esta "
    "conversación y le contestará.",
    "modify.ask_dates": "Reserva {reference}: ¿cuáles son las nuevas fechas?",
    "modify.summary": lambda p: (
        f"Cambiar la reserva {p['reference']} ({p['room']}) del "
        f"{nice_date(p['check_in'], 'es')}–{nice_date(p['check_out'], 'es')} al "
        f"{nice_date(p['new_check_in'], 'es')}–{nice_date(p['new_check_out'], 'es')}. "
        f"Nuevo total: {money(p['new_total'], p['new_currency'])} (impuestos incl.). ¿Hago el cambio?"
    ),
    "modify.done": lambda p: (
        f"¡Hecho! Su nueva reserva es {p['reference']}: {p['room']}, del "
        f"{nice_date(p['check_in'], 'es')} al {nice_date(p['check_out'], 'es')}, {money(p['total'], p['currency'])}. "
        f"La reserva anterior {p['old_reference']} ha quedado cancelada."
    ),
    "modify.failed": "No he podido reservar las nuevas fechas, así que su reserva {reference} sigue como estaba.",
    "modify.failed_down": "El sistema del hotel no responde, así que su reserva sigue como estaba. Una persona del "
    "equipo seguirá esta conversación.",
    "modify.unavailable": lambda p: (
        f"No hay habitaciones de ese tipo libres del {nice_date(p['check_in'], 'es')} "
        f"al {nice_date(p['check_out'], 'es')}. Su reserva {p['reference']} sigue como estaba."
    ),
    "modify.partial": "La nueva reserva está hecha pero no he podido cancelar la anterior. Una persona del equipo "
    "seguirá esta conversación para resolverlo.",
    "modify.aborted": "De acuerdo, su reserva sigue como estaba.",
    "info.times": "La entrada es a partir de las {check_in} y la salida, hasta las {check_out}.",
    "info.location": "{name} está en {address}. Teléfono: {phone}.",
    "info.amenity": lambda p: p["info"],
    "info.amenity_unknown": lambda p: (
        f"No tengo información sobre {AMENITY.get(p['amenity'], p['amenity'])}. " + _features(p)
    ),
    "info.amenities": _features,
    "info.amenity_yes": "Sí: el hotel tiene {feature}.",
    "late.offer": "Buenas noticias: puede dejar la habitación hasta las {until} en la reserva {reference} (la salida "
    "normal es a las {check_out}). {fee} Recepción se lo confirmará ese día.",
    "late.declined": "Lo siento, el hotel está completo la noche siguiente, así que no es posible la salida tardía "
    "en la reserva {reference}. La salida es hasta las {check_out}; podemos guardarle el equipaje.",
    "handoff.requested": "Por supuesto. Una persona del equipo seguirá esta conversación en breve.",
    "handoff.complaint": "Siento mucho lo ocurrido. Lo he pasado a una persona del equipo, que seguirá esta "
    "conversación en breve.",
    "handoff.misunderstood": "Perdone, no consigo entenderle. Una persona del equipo seguirá esta conversación en "
    "breve.",
    "pms.down": "Lo siento, el sistema del hotel no responde ahora mismo. Inténtelo en unos minutos o hable con una "
    "persona.",
    "pms.down_booking": "Lo siento, el sistema del hotel no responde y no he podido completarlo. No se ha cobrado "
    "nada. Una persona del equipo seguirá esta conversación en breve.",
    "btn.handoff": "Hablar con persona",
    "btn.availability": "Disponibilidad",
    "btn.my_booking": "Mi reserva",
    "btn.confirm": "Confirmar",
    "btn.abort": "Ahora no",
    "btn.confirm_cancel": "Sí, cancelar",
    "btn.keep": "Mantener reserva",
    "list.button": "Ver opciones",
    "list.rooms": "Ver habitaciones",
    "list.bookings": "Ver reservas",
}
