"""Words the NLU knows: numbers, months, weekdays, WhatsApp shorthand and the typo-correction vocabulary."""

from __future__ import annotations


def _words(block: str) -> list[str]:
    return block.split()


# Number words (accent-free, lowercase) in both languages; "un/una/a" are left out on purpose:
# they are articles far more often than counts ("una habitación" does not mean rooms=1).
NUMBER_WORDS: dict[str, int] = {
    "uno": 1,
    "one": 1,
    "dos": 2,
    "two": 2,
    "tres": 3,
    "three": 3,
    "cuatro": 4,
    "four": 4,
    "cinco": 5,
    "five": 5,
    "seis": 6,
    "six": 6,
    "siete": 7,
    "seven": 7,
    "ocho": 8,
    "eight": 8,
    "nueve": 9,
    "nine": 9,
    "diez": 10,
    "ten": 10,
    "once": 11,
    "eleven": 11,
    "doce": 12,
    "twelve": 12,
    "catorce": 14,
    "fourteen": 14,
    "quince": 15,
    "fifteen": 15,
}

# Counts where the article does mean one: "una noche", "a night", "un adulto".
ARTICLE_ONE: frozenset[str] = frozenset({"un", "una", "a", "an"})

MONTHS: dict[str, int] = {
    "enero": 1,
    "ene": 1,
    "january": 1,
    "jan": 1,
    "febrero": 2,
    "feb": 2,
    "february": 2,
    "marzo": 3,
    "mar": 3,
    "march": 3,
    "abril": 4,
    "abr": 4,
    "april": 4,
    "apr": 4,
    "mayo": 5,
    "may": 5,
    "junio": 6,
    "jun": 6,
    "june": 6,
    "julio": 7,
    "jul": 7,
    "july": 7,
    "agosto": 8,
    "ago": 8,
    "august": 8,
    "aug": 8,
    "septiembre": 9,
    "setiembre": 9,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "octubre": 10,
    "oct": 10,
    "october": 10,
    "noviembre": 11,
    "nov": 11,
    "november": 11,
    "diciembre": 12,
    "dic": 12,
    "december": 12,
    "dec": 12,
}

# Month words that are also ordinary words ("mar" = sea, "may" = modal): only months next to a day number.
AMBIGUOUS_MONTHS: frozenset[str] = frozenset({"mar", "may", "ago", "jun", "jul", "sep", "dic", "ene", "abr"})

WEEKDAYS: dict[str, int] = {
    "lunes": 0,
    "monday": 0,
    "mon": 0,
    "martes": 1,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "miercoles": 2,
    "wednesday": 2,
    "wed": 2,
    "jueves": 3,
    "thursday": 3,
    "thu": 3,
    "thurs": 3,
    "viernes": 4,
    "friday": 4,
    "fri": 4,
    "sabado": 5,
    "saturday": 5,
    "sat": 5,
    "domingo": 6,
    "sunday": 6,
}

# WhatsApp shorthand and phonetic spellings, replaced token by token before anything else.
SHORTHAND: dict[str, str] = {
    "q": "que",
    "k": "que",
    "ke": "que",
    "xq": "porque",
    "pq": "porque",
    "pa": "para",
    "x": "por",
    "tb": "tambien",
    "tmb": "tambien",
    "d": "de",
    "hab": "habitacion",
    "habs": "habitaciones",
    "hab.": "habitacion",
    "dispo": "disponibilidad",
    "kiero": "quiero",
    "kero": "quiero",
    "qiero": "quiero",
    "ola": "hola",
    "olaa": "hola",
    "holaa": "hola",
    "holaaa": "hola",
    "wenas": "buenas",
    "porfa": "por favor",
    "porfi": "por favor",
    "xfa": "por favor",
    "pf": "por favor",
    "grax": "gracias",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrow": "tomorrow",
    "2morrow": "tomorrow",
    "tomoz": "tomorrow",
    "nite": "night",
    "nites": "nights",
    "ppl": "people",
    "pax": "people",
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plis": "please",
    "thx": "thanks",
    "thanx": "thanks",
    "tks": "thanks",
    "ty": "thanks",
    "tysm": "thanks",
    "avail": "available",
    "w/": "with",
    "wanna": "want to",
    "gonna": "going to",
    "im": "i'm",
    "whats": "what's",
    "wat": "what",
    "info": "informacion",
}

# Correctable vocabulary: a misspelt token at edit distance 1 from exactly one of these is rewritten to it.
VOCABULARY: frozenset[str] = frozenset(
    _words(
        """
        hola buenas buenos dias tardes noches hello morning evening afternoon habitacion habitaciones room rooms
        suite doble double individual sencilla estandar standard deluxe ejecutiva ejecutivo executive lujo
        luxury general superior disponible disponibles disponibilidad available availability vacancy libre
        libres reservar reserva reservas reservo reservame reservado reservation reservations booking book
        booked reserve cancelar cancelacion cancela cancelo cancelad anular anulacion cancel cancellation
        cancelled cambiar cambio modificar modificacion change modify reschedule extend ampliar retrasar
        adelantar upgrade confirmada confirmado confirmar confirmacion confirmed confirmation status estado
        precio precios tarifa tarifas cuesta cuestan costaria cuanto price prices rate rates much cost expensive
        cheap cheapest barato barata caro checkin checkout entrada salida llegada hora horario time early late
        tardia tarde temprano wifi internet desayuno breakfast parking aparcamiento garaje garage piscina pool
        gimnasio fitness sauna mascota mascotas perro perros gato gatos pets restaurante restaurant cena cenar
        dinner lavanderia laundry shuttle transfer traslado aeropuerto airport direccion address ubicacion
        location donde where llegar estacion station cerca centro playa beach persona humano human agente agent
        recepcion reception operador operator encargado manager hablar speak talk queja quejas complaint sucia
        sucio dirty funciona working broken roto ruido noise terrible horrible disappointed decepcionado
        maleducado rude disgusting asqueroso huele smells caliente gracias thanks thank adios bye goodbye luego
        pronto enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre january
        february march april june july august september october november december lunes martes miercoles jueves
        viernes sabado domingo monday tuesday wednesday thursday friday saturday sunday manana tomorrow tonight
        today pasado semana semanas weekend finde noche night nights adulto adultos adults persona personas
        people guests ninos ninas children kids quiero quisiera querria necesito tenemos teneis tienen tienes
        please favor
        """
    )
)

# Common words that look like typos of vocabulary words but are not ("casa", "cosa"): never corrected.
KNOWN_WORDS: frozenset[str] = frozenset(
    _words(
        """
        para pero como cuando esta este esto estos estas todo toda nada algo solo sola otra otro cosa casa tengo
        tiene tienes puedo puede podemos podria hacer hace haber habia seria sera ser estar with from have that
        this what when will would could should there their they them then than your about after before just like
        need want know please where which here were been being into only nice have more most some time tine fine
        line mine nine dine wine done gone none hour hours hora horas mucho mucha muchas muchos poco poca donde
        dando dado dame dime sino sera mail email correo nombre name llamo apellido cama camas bano lugar luego
        juego fuego duda dudas todos todas mismo misma dark dart pool poor door room roam read real deal meal
        rate late gate date data ruta rato raro rara caro cara para pare
        """
    )
)

# Real words one typo away from a vocabulary word ("perdona"/"persona", "cuarto"/"cuatro", "right"/"night"),
# and first names that collide with one ("Lucía"/"sucia", "Pedro"/"perro", "Mario"/"marzo").
KNOWN_WORDS = KNOWN_WORDS | frozenset(
    _words(
        """
        perdona perdon perdone personal coche coches queda quedas quema dates datos ratos right rights light lights
        might sight tight fight fights looking looked cooking cooked hooked reverse chance charge charged changed
        stuff quite suit suits libro libros winner llevar llenar socio cliente clientes dentro plaza entero junto
        juntos marco marte partes vienen viene vienes tenis cuarto cuartos siente nueva nuevo nuevas nuevos think
        thinks match cuenta cuentas vinos lucia pedro mario julia laura pablo paula llama llamo llaman llamas
        somebody someone comes coming
        """
    )
)

# Real words and names one typo away from a rule word, found by running the corrector over Faker's es/en
# word and name lists once (offline); kept here so the NLU needs nothing at run time.
KNOWN_WORDS = KNOWN_WORDS | frozenset(
    _words(
        """
        acerca animal augusto barajas bates bello booker buena bueno busca cambios canas candela cannon carlos
        carly carol casado casas casos centros cerda cerro cesar chang checa chile clase cloe come comes conde
        conrado corte cosas cosme cotto cover cuadro deja dios dominga doyle duenas each earl ello estados
        estrada even ever fabra ferrero find frida funcion gates gente gould gracia guess hemos hija hijo
        horacio humanos infante jover julie knight landry leach lisa list lledo llena lleno lose lucio lugo
        lynch magana manage marc marcha mares marsh matos mejores metros moyer nada nadal nearly nina noble
        norma norman over pagar pago pague parsons pasa pearson peiro permite perry pesar plana planas play
        ponce poner power premio prince pudo pueda quiere ramos raven reach recio rice robles rueda sabe sales
        salud saura sell seran serie serna serra seve skill small soria steven teach tello tere these thus trade
        tran tree valle vinas visita visto walter waters weight world yates yoder
        """
    )
)

# Words that say the text is Spanish / English, for per-message language detection.
SPANISH_MARKERS: frozenset[str] = frozenset(
    _words(
        """
        hola buenas buenos el la los las de del que para por una uno un hay tienen teneis tenéis tiene quiero
        quisiera necesito habitacion habitaciones noche noches gracias adios hasta luego reserva reservar
        cancelar cuanto cuesta precio donde esta estais como puedo podemos somos mi mis me con sin y o en es son
        muy manana pasado finde semana viernes sabado domingo lunes martes miercoles jueves dias tardes
        diciembre enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre desayuno
        aparcamiento piscina gimnasio perro mascotas lavanderia direccion ubicacion recepcion persona queja
        sucia funciona ruido vale perfecto genial porfavor favor tambien nos al lo le se si ya pero adultos
        ninos nino nina personas dos tres cuatro cambiar fechas anular disponibilidad libre hueco sitio salida
        entrada llegada hora horario tarde temprano chao saludo pronto nada mas otra cosa teneis
        """
    )
)
ENGLISH_MARKERS: frozenset[str] = frozenset(
    _words(
        """
        hiya heya howdy let speak call someone somebody never again experience manager was were been will there here
        get got go going come know think love sorry all about after before also back because but by did done
        every first give had her him his its last little long look made make must new now off only other out own
        put really right said say she show since still such take tell than their them then these they thing
        those though too try under up use way well which while who why work yet you're we're they're bad worst
        ever anyone somewhere stay staying room's guys folks hey wanna arrive arriving leave leaving
        pet friendly lol haha yeah yep nope hotel's stay staying wifi password thank-you cool nice awesome
        hi hello hey good morning evening the an is are do does you your i i'm my we our us have has for from to
        of in on at with and or it this that what when where how much many can could would should room rooms
        night nights tonight tomorrow today weekend next week please thanks thank bye goodbye see book booking
        reserve reservation cancel change price rate cost available availability any free breakfast parking pool
        gym pets address location check time late early front desk human agent people adults kids children two
        three four want need like get there it's what's i'd we'll can't don't doesn't not yes great cheers sorry
        just some anything way far close near december january february march april june july august september
        october november monday tuesday wednesday thursday friday saturday sunday
        """
    )
)
