"""Intent rules: weighted patterns over normalised text, a few cross-intent adjustments, and a fallback."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.brain.nlu.wordrules import RuleSet

# Ties go to the intent that matters more to the guest (a complaint over a handoff, a cancel over a price).
PRIORITY: tuple[str, ...] = (
    "complaint",
    "late_checkout",
    "cancel",
    "modify",
    "booking_status",
    "pricing",
    "book",
    "availability",
    "check_in_out_times",
    "amenities",
    "location",
    "human_handoff",
    "goodbye",
    "thanks",
    "greeting",
)
UNKNOWN_BELOW = 1.0

RULES: dict[str, tuple[tuple[str, float], ...]] = {
    "greeting": (
        (
            r"^(?:hola|hi|hello|hey|hiya|buenas|buenos dias|buen dia|buenas tardes|buenas noches|good morning|"
            r"good afternoon|good evening|saludos|que tal|greetings|howdy|yo)\b",
            1.5,
        ),
        (r"\b(?:hola|hello|buenas)\b", 0.5),
    ),
    "thanks": (
        (r"\b(?:gracias|thanks|thank|cheers|agradezco|agradecido|agradecida|appreciate|appreciated|merci)\b", 2.0),
    ),
    "goodbye": (
        (
            r"\b(?:adios|bye|goodbye|chao|chau|ciao|hasta luego|hasta pronto|hasta la vista|see you|see ya|"
            r"nos vemos|un saludo|saludos cordiales|take care|good night|farewell|have a nice day|"
            r"have a good day|que vaya bien)\b|\bhasta manana\s*$",
            2.5,
        ),
    ),
    "availability": (
        (r"\b(?:disponibilidad|disponible|disponibles|available|availability|vacancy|vacancies)\b", 3.0),
        (r"\b(?:libres?|free)\b", 2.5),
        (
            r"\b(?:hay|habra|habria|queda|quedan)\b.*\b(?:habitacion(?:es)?|sitio|hueco|plazas?|algo|libres?|suite|"
            r"dobles?|individual)\b",
            3.0,
        ),
        (
            r"\b(?:teneis|tienen|tiene|tendriais|tendrian|tendreis|tienes)\b.*\b(?:habitacion(?:es)?|algo|sitio|"
            r"hueco|suite|dobles?|individual|libres?|ejecutiva|deluxe)\b",
            3.0,
        ),
        (
            r"\b(?:do you have|do you got|have you got|is there|are there|any)\b.*\b(?:rooms?|suite|vacanc\w*|"
            r"available|anything)\b",
            3.0,
        ),
        (r"\b(?:rooms? left|check availability|buscamos|buscando|busco|looking for)\b", 2.0),
        (r"\b(?:necesito saber si|quisiera saber si|queria saber si|want to know if|wondering if)\b", 3.0),
    ),
    "pricing": (
        (
            r"\bcuanto\s(?:cuesta|cuestan|vale|valen|sale|salen|es|seria|serian|costaria|me costaria|cobrais|cobran|"
            r"me sale|nos sale)\b",
            4.0,
        ),
        (r"\b(?:cuanto|cuanta)\b", 2.0),
        (r"\b(?:precios?|tarifas?|coste|costo|costaria|cuesta|cuestan|presupuesto)\b", 4.0),
        (r"\bhow much\b", 4.0),
        (
            r"\b(?:prices?|pricing|rates?|costs?|cheapest|cheap|cheaper|expensive|baratas?|baratos?|caras?|caros?|"
            r"economic\w*|budget|quote)\b",
            3.5,
        ),
    ),
    "book": (
        (
            r"\b(?:reservar|reservo|reservame|reservadme|reservamos|reserve|book|booking|hacer (?:una|la) reserva|"
            r"hago la reserva|hazme la reserva|haz la reserva|make a reservation|la reservo|lo reservo|me la quedo|"
            r"me lo quedo|nos la quedamos|nos lo quedamos|i'll take it|we'll take it|reservala|reservalo)\b",
            3.5,
        ),
        (r"^reserva\b", 3.5),
        (r"\b(?:reservation|reserva para)\b", 2.0),
        # "confirmo" answers our summary: the guest books (a question about an existing booking says "confirmada").
        (r"\b(?:confirmo|lo confirmo|la confirmo|i confirm|confirm the booking|confirm it)\b", 5.0),
        (
            r"\b(?:quiero|quisiera|querria|queremos|quisieramos|necesito|necesitamos|want|need|i'd like|"
            r"i would like|we'd like)\b.*\b(?:habitacion(?:es)?|rooms?|suite|dobles?|double|ejecutiva|executive)\b",
            3.0,
        ),
    ),
    "cancel": (
        (
            r"\b(?:cancelar|cancela|cancelad|cancelala|cancelalo|cancelacion|cancelo|anular|anula|anulad|anulala|"
            r"anulacion|cancel|cancelled|cancellation|canceling|cancelling)\b",
            6.0,
        ),
        (
            r"\b(?:no vamos a poder ir|no podremos ir|no podemos ir|can'?t make it|cannot make it|won'?t make it|"
            r"ya no necesito|no longer need|ya no vamos)\b",
            5.0,
        ),
    ),
    "modify": (
        (
            r"\b(?:cambiar|cambio|cambia|modificar|modificacion|modifica|change|modify|reschedule|extend|extender|"
            r"ampliar|alargar|retrasar|adelantar|upgrade|mover la reserva|pasar la reserva|aplazar|postpone)\b",
            6.5,
        ),
        (r"\b(?:update|move)\s(?:my|our|the)\s(?:booking|reservation|stay)\b", 6.5),
        (
            r"\b(?:una noche mas|one more night|another night|noche extra|extra night|un dia mas|en vez del?|"
            r"en lugar del?|instead|one day later|un dia mas tarde|un dia despues)\b",
            5.0,
        ),
        (
            r"\b(?:anadir|agregar|add)\b.*\b(?:noches?|nights?|dias?|days?|persona|adulto|nino|person|adult|child)\b",
            5.0,
        ),
    ),
    "booking_status": (
        (r"\b(?:confirmada|confirmado|confirmed|confirmais|confirmas|confirmation|confirmacion)\b", 4.5),
        (r"\b(?:confirmar|confirm)\b.*\b(?:reserva|booking|reservation)\b", 4.5),
        (r"\b(?:estado|status)\b", 4.0),
        (
            r"\b(?:sigue en pie|still on|comprobar|comprobad|comprobais|check my (?:booking|reservation)|verificar|"
            r"did you (?:get|receive)|recibisteis|habeis recibido|no me ha llegado|haven'?t received|not received|"
            r"mis reservas|my bookings|my reservations|tengo (?:una )?reserva|i have a (?:booking|reservation)|"
            r"do i have a (?:booking|reservation)|pagada|paid|look up my)\b",
            5.0,
        ),
    ),
    "check_in_out_times": (
        (r"\b(?:checkin|checkout)\b", 3.0),
        (
            r"\b(?:a que hora|que hora|what time|when|hasta que hora|desde que hora|a partir de que hora|horario|"
            r"hora de|latest|earliest)\b.*\b(?:checkin|checkout|entrada|salida|llegar|llegada|arrive|arrival|"
            r"dejar la habitacion|entrar|salir|leave|lista|ready|check)\b",
            4.0,
        ),
        (r"\b(?:hora de entrada|hora de salida|early checkin|checkin temprano|entrada anticipada)\b", 3.0),
        (r"\b(?:entrar ya|podemos entrar|can we get in)\b", 2.0),
        (
            r"\b(?:late arrival|llegada tardia|llegamos tarde|llegaremos tarde|arrive late|arriving late|lands? at|"
            r"open 24|abierta 24|24 ?h|24 horas)\b",
            5.0,
        ),
    ),
    "late_checkout": (
        (r"\b(?:late checkout|checkout late|checkout later|salida tardia|salida tarde|salida mas tarde)\b", 8.0),
        (
            r"\b(?:salir|irnos|irme|marcharnos|leave|checkout|dejar la habitacion)\s(?:un poco\s)?(?:mas tarde|later|"
            r"tarde)\b",
            8.0,
        ),
        (
            r"\b(?:quedarme|quedarnos|keep the room|stay in the room|quedar en la habitacion)\b.*\b(?:hasta|until|till|"
            r"mas tarde|later|tarde)\b",
            8.0,
        ),
        (
            r"\b(?:salir|leave|dejar)\b.*\b(?:a las \d+|at \d+ ?pm|at \d+|\d+ ?pm)\b.*\b(?:en vez|instead)\b",
            8.0,
        ),
    ),
    "amenities": (
        (
            r"\b(?:servicios|instalaciones|facilities|amenities|cuna|crib|cot|toallas|towels|secador|hairdryer|"
            r"minibar|aire acondicionado|air conditioning|ascensor|elevator|accesible|wheelchair|incluido|incluye|"
            r"incluida|included|include|includes|fumar|smoking|smoke|kettle|hervidor|plancha|iron|caja fuerte|"
            r"safe|nevera|fridge|television|tv|tele|balcon|balcony|terraza|vistas|view)\b",
            2.5,
        ),
        (
            r"\b(?:is there|are there|hay|tiene|tienen|teneis)\s(?:a\s|an\s|un\s|una\s)?\w+\s"
            r"(?:in the room|in the rooms|en la habitacion|en las habitaciones)\b",
            3.5,
        ),
        (
            r"\b(?:se admiten|admiten|aceptais|aceptan|allowed|permitido|permiten|can i bring|puedo llevar|"
            r"puedo traer)\b",
            2.0,
        ),
    ),
    "location": (
        (
            r"\b(?:donde|where|direccion|address|ubicacion|ubicados|ubicado|located|location|localizacion|"
            r"como llego|como llegar|como se llega|get to|get there|directions|indicaciones|mapa|map)\b",
            4.0,
        ),
        (r"\b(?:cerca|close to|near|far|lejos|distancia|distance|calle|street)\b", 3.0),
        (r"\b(?:metro|taxi|estacion|station|bus|tren|train)\b", 1.5),
    ),
    "human_handoff": (
        (
            r"\b(?:persona|humano|human|agente|agent|operador|operator|recepcionista|"
            r"receptionist|encargado|encargada|manager|gerente|director|staff|someone|alguien|real person|"
            r"persona real|representative)\b",
            3.0,
        ),
        # "Is the reception open 24h?" is about arrival times; only "talk to reception" is a handoff.
        (r"\b(?:reception|recepcion)\b", 1.5),
        (
            r"\b(?:hablar con|speak to|speak with|talk to|talk with|pasame con|pasame|ponme con|llamar|call me|"
            r"llamame|llamadme|llamarme|phone me|call)\b",
            3.0,
        ),
        (r"\b(?:eres un bot|are you a bot|robot|maquina|bot)\b", 3.0),
    ),
    "complaint": (
        (
            r"\b(?:queja|quejas|reclamacion|reclamar|complaint|complain|sucia|sucio|sucias|sucios|dirty|"
            r"no funciona|no funcionan|doesn'?t work|does not work|not working|isn'?t working|don'?t work|broken|"
            r"roto|rota|estropeado|estropeada|averiado|averiada|ruido|ruidos|noise|noisy|ruidoso|decepcionad\w*|"
            r"disappointed|maleducad\w*|rude|grosero|grosera|verguenza|disgusting|asco|asqueroso|asquerosa|"
            r"terrible|horrible|fatal|awful|huele|smells|smell|olor|bugs|cucarachas?|chinches|insectos|"
            r"cockroach\w*|no hay agua caliente|no hot water|agua fria|cold water|freezing|manchad\w*|stained|"
            r"no es aceptable|unacceptable|inaceptable|cobrado dos veces|charged twice|never again|nunca mas|"
            r"mal servicio|bad service|worst|pesimo|pesima|lamentable|indignad\w*|furious|angry|enfadad\w*|"
            r"no (?:va|enfria|calienta|abre|cierra|sale agua|tira|carga|conecta)|loud|too loud|gritos|gritando|"
            r"shouting|screaming|molestan|molestando|"
            r"(?:doesn'?t|does not|won'?t|will not|can'?t|cannot) (?:open|close|lock|connect|turn on|flush))\b",
            6.0,
        ),
        (r"\b(?:esperando|waiting|no esta lista|not ready|no nos han|they didn'?t)\b", 3.0),
    ),
}

# Guests' own words, from the register corpus (agent/brain/nlu/corpus/): regional Spanish, native and
# non-native English, and phrasings that used to get the wrong intent (issue 14).
GUEST_RULES: dict[str, tuple[tuple[str, float], ...]] = {
    "greeting": (
        (
            r"^(?:hiya|heya|hey|g'?day|holi|holis|holaa|ola|que onda|q onda|que bola|klk|wepa|alo|evening|morning|"
            r"saludo|bendiciones|dear sir|dear team|hallo|salam|bonjour|wenas|buen diaa?)\b",
            1.5,
        ),
    ),
    "thanks": ((r"\b(?:cheers|legend|dios le pague|danke|grazie|obrigad[oa]|much appreciated)\b", 2.0),),
    "goodbye": (
        (
            r"\b(?:catch you later|chaito|cuidense|ahi nos vemos|nos vemo|feliz dia|que (?:este|esten) bien|bye|"
            r"ciao)\b",
            2.5,
        ),
    ),
    "availability": (
        (
            r"\b(?:fully booked|full|lleno|llenos|copado|anything going|anything (?:for|on|from)|got anything|"
            r"cupo|tan cogiendo|you have (?:free )?rooms?|have you rooms?|search (?:a )?room|i search room|"
            r"take groups|is possible (?:to have )?(?:a |one )?(?:double )?room)\b",
            3.0,
        ),
        (
            r"\b(?:hay|habra|habria|tienen|tiene|tenes|teneis|tendran|tendrian|tendra|queda|quedan)\b.*"
            r"\b(?:cuartos?|piezas?|lugar|cupo|espacio|matrimonial|sencilla|disponible)\b",
            3.0,
        ),
    ),
    "pricing": (
        (
            r"\b(?:cotizar|cotizacion|cotizen|cotizan|quotation|valor|valia|chavos|lucas|soles|pounds|dolares|"
            r"surcharge|descuento|discount|promociones|weekly rate|damage|how much cost|how much costs)\b",
            3.5,
        ),
    ),
    "book": (
        (
            r"\b(?:apartar|aparto|aparta|aparteme|apartame|apartemela|apartamos|apartado|separar|separo|separeme|"
            r"separamela|me la guardas|me la guardais|guardais|hold it|lock it in|let'?s do it|book me|book it|"
            r"reserve it|reserve (?:for|please)|reservame|reservemos|reservamo|reservela|reservala|reservalo|"
            r"reservamela|sigamos con la reserva|carry on with the booking|make (?:me )?reservation|"
            r"want (?:make|to make) (?:a )?reservation|la cogemos|me la quedo|i take it|we make the booking|"
            r"do the needful)\b",
            3.5,
        ),
        (r"^(?:si,?\s|yes,?\s|ok,?\s|vale,?\s)?(?:adelante|go ahead|dale|listo|perfecto)\b.{0,25}$", 1.2),
    ),
    "cancel": (
        (
            r"\b(?:scrap|call off|pull out|dar de baja|bajar|storno|annul\w*|echar(?:me)? atras|quitar|"
            r"no longer|not coming|ya no (?:la |lo )?(?:necesit\w*|ocup\w*)|don'?t need (?:it|the room)|"
            r"no vamos|no vamo|we (?:will not|won'?t|cannot|can'?t) come|not travell?ing)\b",
            5.0,
        ),
    ),
    "modify": (
        (
            r"\b(?:a day early|un dia antes|one day before|bring (?:the booking )?forward|push (?:the booking )?back|"
            r"recorrer|correr la reserva|rodar|posponer|postergar|aplazar|atrasar|cambiame|cambieme|switch|amend|"
            r"update (?:the|my) (?:booking|reservation)|actualiz\w*|sumar una noche|stay longer|quedarnos mas|"
            r"more days|mas dias|mas tiempo|otra noche|prolong|shift|anticipate|llegamos el \w+ en vez|"
            r"stay (?:till|until) \w+ instead|quedarnos hasta el \w+ en (?:vez|lugar))\b",
            6.0,
        ),
    ),
    "booking_status": (
        (
            r"\b(?:come through|go through|got booked|have i got|quedo hecha|se hizo|ya quedo|les llego|"
            r"you received it|estatus|sigue vigente|sigue activa|still valid|still active|reenvi\w*|resend|"
            r"send again|all good with|todo bien con|to bien con|everything ok with|todo ok con)\b",
            5.0,
        ),
    ),
    "check_in_out_times": (
        (
            r"\b(?:will someone be there|hay alguien|somebody is there|llegamos? (?:muy )?tarde|"
            r"arriving (?:really )?late|arrive (?:very )?late|hora de ingreso|hour of arrival)\b",
            5.0,
        ),
    ),
    "late_checkout": (
        (
            r"\b(?:(?:irnos|salir|leave|go|ir|dejar la habitacion|entregar (?:el cuarto|la habitacion|la pieza)|"
            r"hand the room back|checkout|hacer el checkout|make checkout)\b.{0,20}\b(?:a las|a la|at) ?\d+)",
            4.0,
        ),
        (
            r"\b(?:push checkout back|retrasar la salida|atrasar la salida|extender la hora de salida|"
            r"alargar la salida|estirar la salida|late departure|salida mas tarde|leave (?:a bit )?later|"
            r"salir mas tarde|more late|keep the room (?:till|until)|quedarnos (?:en|con) (?:el cuarto|la pieza|"
            r"la habitacion) hasta|stay in (?:the )?room until|keep room until)\b",
            8.0,
        ),
    ),
    "location": (
        (
            r"\b(?:drop me a pin|pin|ubi|old town|zona de|are you in|estan en|tan en|queda|quedan|walking distance|"
            r"how (?:do )?i (?:get|come|arrive)|como llego|which bus|que bus|que micro|que guagua|que bondi)\b",
            3.0,
        ),
    ),
    "human_handoff": (
        (r"\b(?:asesor|ejecutivo|representante|comunica\w*|marcar|me marcan|ring me|llameme|get me your)\b", 3.0),
    ),
    "complaint": (
        (
            r"\b(?:out of order|blocked|tapad[oa]|leak|fuga|gotera|is down|no sirve|no jala|no prende|won'?t turn on|"
            r"keeping us up|no (?:nos )?deja(?:n)? dormir|bulla|partying|a joke|desastre|malisim[oa]|charged (?:me )?"
            r"(?:twice|two times|more)|cobraron|cargado|cargaron|debitaron|inundando|inunda|flooding|full of water|"
            r"water everywhere|filthy|moho|mould|mold|hongos?|humedad|damp|no limpiaron|nobody cleaned|nadie limpie|"
            r"no nos hicieron el aseo|a oscuras|se fue la luz|hundido|sagging|not function|impolite|borde|pesad[oa]|"
            r"sale (?:cafe|marron|amarilla)|coming (?:out )?brown|no enfria|not cold|isn'?t cooling)\b",
            6.0,
        ),
    ),
}

# "no la cancelo, la dejo", "don't cancel, keep my booking": the guest keeps the booking.
KEEP = re.compile(
    r"\b(?:no|don'?t|do not|not)\s(?:quiero\s|want\s|want to\s)?(?:la\s|lo\s|me la\s|it\s)?(?:cancel\w*|anul\w*)"
    r"|\b(?:keep (?:my|the|it)|i'?ll keep|i keep|la mantengo|mantengo|la dejo|dejadla|dejenla|dejela|se queda|"
    r"queda como (?:esta|ta)|as it is|like it is|al final no cancelo|no cancelo)\b"
)

_RULE_SET = RuleSet({intent: (*rules, *GUEST_RULES.get(intent, ())) for intent, rules in RULES.items()})
_STAY_WORDS = re.compile(
    r"\b(?:noches?|nights?|habitacion(?:es)?|rooms?|suite|estancia|stay|finde|weekend|doble|double|persona|people)\b"
)
_ROOM_WORDS = re.compile(r"\b(?:habitacion(?:es)?|rooms?|suite|doble|double)\b")
_INCLUDED = re.compile(r"\b(?:incluye|incluido|incluida|included|include|includes|con desayuno)\b")
_TIME_QUESTION = re.compile(r"\b(?:a que hora|que hora|what time|when|horario|hora)\b")
_CHECK_WORDS = re.compile(r"\b(?:checkin|checkout|entrada|salida|llegar|arrive|dejar la habitacion)\b")


@dataclass(frozen=True)
class IntentDecision:
    """The chosen intent, its confidence in [0, 1], and every intent's raw score (for debugging)."""

    intent: str
    confidence: float
    scores: dict[str, float]
    keeps_booking: bool = False  # "no la cancelo, la dejo": the guest keeps the booking (KEEP)


def _scores(text: str) -> dict[str, float]:
    """Every intent's summed rule weight (intents no rule fired for are left out)."""
    return _RULE_SET.scores(text)


def classify(text: str, amenity: str | None, stay_details: bool = False, question: bool = False) -> IntentDecision:
    """Pick the intent of normalised text.

    `amenity` is the amenity entity already found; `stay_details` says dates or a party size were found;
    `question` says the guest asked (a "?" in the raw text).
    """
    scores = _scores(text)
    keeps = KEEP.search(text) is not None
    if keeps:
        # Keeping the booking answers our cancel question; it is no cancellation.
        scores.pop("cancel", None)
        scores["booking_status"] = scores.get("booking_status", 0.0) + 6.0
    if not scores and stay_details and _ROOM_WORDS.search(text):
        # A bare "habitación para el lunes, 2 noches" orders a room; "rooms for Friday?" asks for one.
        scores["availability" if question else "book"] = 2.0
    if amenity:
        scores["amenities"] = scores.get("amenities", 0.0) + 3.5
        if _INCLUDED.search(text):
            scores["amenities"] += 5.0
        # "¿tenéis parking? ¿cuánto cuesta?" asks about the amenity; "la noche con desayuno" about the stay.
        if "pricing" in scores and not _STAY_WORDS.search(text):
            scores["amenities"] += scores["pricing"]
        # "¿a qué hora es el desayuno?" is about breakfast, not check-in.
        if _TIME_QUESTION.search(text) and not _CHECK_WORDS.search(text):
            scores.pop("check_in_out_times", None)
    if not scores or max(scores.values()) < UNKNOWN_BELOW:
        return IntentDecision("unknown", 0.6 if not scores else 0.4, scores, keeps)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], PRIORITY.index(item[0])))
    top_intent, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = 0.5 + 0.5 * (top - second) / (top + 1.0)
    return IntentDecision(top_intent, round(min(0.99, max(0.3, confidence)), 3), scores, keeps)
