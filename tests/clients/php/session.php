<?php
// One integrator's session with the official PrestaShop webservice client against the QloApps simulator.
// Usage: php session.php BASE_URL API_KEY. Prints one JSON line per step: {"step", "ok", "detail"}.
// Each step asserts what a PHP integrator reads from the SimpleXML answers, as QloApps 1.7.0 renders them.

require_once __DIR__ . '/PSWebServiceLibrary.php';

[$script, $base, $key] = $argv;
$ws = new PrestaShopWebservice($base, $key, false);
$failed = 0;

function step(string $name, callable $body): void
{
    global $failed;
    try {
        $detail = $body();
        echo json_encode(['step' => $name, 'ok' => true, 'detail' => $detail]), "\n";
    } catch (Throwable $e) {
        $failed++;
        echo json_encode(['step' => $name, 'ok' => false, 'detail' => get_class($e) . ': ' . $e->getMessage()]), "\n";
    }
}

function check(bool $cond, string $what): void
{
    if (!$cond) {
        throw new RuntimeException("expected: $what");
    }
}

function refused(callable $call, string $needle): string
{
    try {
        $call();
    } catch (PrestaShopWebserviceException $e) {
        check(strpos($e->getMessage(), $needle) !== false, "'$needle' in: " . $e->getMessage());
        return $e->getMessage();
    }
    throw new RuntimeException("expected a refusal containing '$needle'");
}

$xlink = 'http://www.w3.org/1999/xlink';
$state = [];

step('list hotels with a filter, sort and limit', function () use ($ws) {
    $xml = $ws->get(['resource' => 'hotels', 'display' => 'full', 'filter[active]' => '[1]', 'sort' => '[id_ASC]',
                     'limit' => '1']);
    $hotel = $xml->hotels->hotel;
    check(count($hotel) === 1, 'one hotel');
    check((string)$hotel->hotel_name->language === 'The Hotel Prime', 'hotel_name in a <language> node');
    check(trim((string)$hotel->hotel_name) === '', '(string)$hotel->hotel_name is empty: it is translated');
    // The association's item node is the resource name (HotelBranchInformation.php:122-126).
    check(count($hotel->associations->room_types->room_types) === 4, 'four <room_types> items');
    check(count($hotel->associations->room_types->room_type) === 0, 'no <room_type> items');
    return ['hotels' => count($hotel), 'room_types' => count($hotel->associations->room_types->room_types)];
});

step('get one hotel (full by default)', function () use ($ws, $xlink) {
    // classes/webservice/WebserviceRequest.php:1229-1233 (full without display); xlinks: WebserviceOutputXML.php
    $xml = $ws->get(['resource' => 'hotels', 'id' => 1]);
    check((string)$xml->hotel->check_in === '12:00', 'check_in 12:00');
    $href = (string)$xml->hotel->id_country->attributes($xlink)['href'];
    check(strpos($href, '/api/countries/') !== false, 'id_country xlink');
    return ['check_in' => (string)$xml->hotel->check_in, 'id_country_href' => $href];
});

step('list room types with a filter, sort and limit', function () use ($ws) {
    // classes/webservice/WebserviceRequest.php:1103 (filters), :1149 (sort), :1182 (limit)
    $xml = $ws->get(['resource' => 'room_types', 'display' => 'full', 'filter[id]' => '[1|2|3]',
                     'sort' => '[id_DESC]', 'limit' => '2']);
    $ids = [];
    foreach ($xml->room_types->room_type as $rt) {
        $ids[] = (int)$rt->id;
    }
    check($ids === [3, 2], 'ids 3 then 2');
    $rt = $xml->room_types->room_type[1];
    check((string)$rt->name->language === 'Delux Rooms', 'name in <language>');
    check(trim((string)$rt->name) === '', '(string)$rt->name is empty');
    check(count($rt->associations->hotel_rooms->hotel_room) === 5, 'five hotel_room items');
    return ['ids' => $ids, 'name' => (string)$rt->name->language];
});

step('get one room type with display: only the id comes back', function () use ($ws) {
    $xml = $ws->get(['resource' => 'room_types', 'id' => 1, 'display' => '[id,price]']);
    // full is forced only without display (WebserviceRequest.php:1229-1233): the minimum form.
    check((int)$xml->room_types->room_type['id'] === 1, 'room_type id attribute');
    check(!isset($xml->room_types->room_type->price), 'no price');
    return ['id' => (int)$xml->room_types->room_type['id'], 'children' => count($xml->room_types->room_type->children())];
});

step('hotel_ari search', function () use ($ws, $xlink) {
    // modules/hotelreservationsystem/classes/WebserviceSpecificManagementHotelAri.php:603-757 (getResponseXml)
    $search = '<qloapps><hotel_ari><id_hotel>1</id_hotel><date_from>2027-04-01</date_from>'
        . '<date_to>2027-04-03</date_to><get_available_rooms>1</get_available_rooms><associations><room_occupancies>'
        . '<room_occupancy><adults>2</adults><children>0</children></room_occupancy>'
        . '</room_occupancies></associations></hotel_ari></qloapps>';
    $xml = $ws->add(['resource' => 'hotel_ari', 'postXml' => $search]);
    $ari = $xml->hotel_ari;
    check(strpos((string)$ari->id_hotel->attributes($xlink)['href'], '/api/hotels/1') !== false, 'id_hotel xlink');
    $rts = $ari->room_types->room_type;
    check(count($rts) === 4, 'four room types');
    $delux = $rts[1];
    check((int)$delux['id'] === 2 && (int)$delux->id_room_type === 2, 'room_type id 2');
    check(strpos((string)$delux->attributes($xlink)['href'], '/api/room_types/2') !== false, 'room_type xlink');
    check((string)$delux->name->language === 'Delux Rooms' && trim((string)$delux->name) === '', 'translated name');
    check(count($delux->rooms->available->room) === 5, 'five available rooms');
    return ['total_available_rooms' => (int)$ari->total_available_rooms, 'delux_total_price' => (string)$delux->total_price];
});

step('add a customer: the phone is required on a default install', function () use ($ws, &$state) {
    // classes/Customer.php:204-211 (phone required with PS_ONE_PHONE_AT_LEAST), WebserviceRequest.php:1463
    $body = '<qloapps><customer><firstname>Ana</firstname><lastname>Lopez</lastname><email>ana.php@example.com</email>'
        . '<passwd>secret123</passwd>PHONE</customer></qloapps>';
    $why = refused(fn () => $ws->add(['resource' => 'customers', 'postXml' => str_replace('PHONE', '', $body)]),
                   '(Code 41): parameter "phone" required');
    $xml = $ws->add(['resource' => 'customers',
                     'postXml' => str_replace('PHONE', '<phone>+34600111222</phone>', $body)]);
    $state['customer'] = (int)$xml->customer->id;
    check($state['customer'] > 0 && (string)$xml->customer->phone === '+34600111222', 'created with its phone');
    return ['without_phone' => $why, 'id' => $state['customer']];
});

step('edit a customer: a PUT replaces the whole record', function () use ($ws, &$state) {
    // classes/webservice/WebserviceRequest.php:1463-1466 (41 for absent required, absent optional nulled)
    $xml = $ws->get(['resource' => 'customers', 'id' => $state['customer']]);
    $xml->customer->firstname = 'Anabel';
    $xml->customer->note = 'VIP';
    unset($xml->customer->associations);
    $edited = $ws->edit(['resource' => 'customers', 'id' => $state['customer'], 'putXml' => $xml->asXML()]);
    check((string)$edited->customer->firstname === 'Anabel' && (string)$edited->customer->note === 'VIP', 'edited');
    $partial = '<qloapps><customer><id>' . $state['customer'] . '</id><firstname>Eva</firstname></customer></qloapps>';
    $why = refused(fn () => $ws->edit(['resource' => 'customers', 'id' => $state['customer'], 'putXml' => $partial]),
                   'parameter "');
    check(strpos($why, 'required') !== false, 'a missing required field is refused (41)');
    unset($xml->customer->note);
    $again = $ws->edit(['resource' => 'customers', 'id' => $state['customer'], 'putXml' => $xml->asXML()]);
    check((string)$again->customer->note === '', 'an omitted optional field is emptied');
    return ['partial_put' => $why, 'note_after_omitting_it' => (string)$again->customer->note];
});

step('hotel_rooms GET, edit, PUT back: id_hotel is not writable', function () use ($ws) {
    // classes/webservice/WebserviceRequest.php:1451 with HotelRoomInformation.php:72-76 ('setter' => false)
    $xml = $ws->get(['resource' => 'hotel_rooms', 'id' => 3]);
    $xml->room->id_status = 2;
    return refused(fn () => $ws->edit(['resource' => 'hotel_rooms', 'id' => 3, 'putXml' => $xml->asXML()]),
                   '(Code 93): parameter "id_hotel" not writable');
});

function booking_xml(string $email, string $room): string
{
    return '<qloapps><booking><currency>EUR</currency><id_property>1</id_property><booking_status>1</booking_status>'
        . '<payment_status>3</payment_status><remark>PHP client session</remark><associations><customer_detail>'
        . "<firstname>Ana</firstname><lastname>Lopez</lastname><email>$email</email><phone>+34600111222</phone>"
        . '</customer_detail><room_types><room_type><id_room_type>2</id_room_type><checkin_date>2027-04-01'
        . '</checkin_date><checkout_date>2027-04-03</checkout_date><number_of_rooms>1</number_of_rooms><rooms>'
        . "$room</rooms></room_type></room_types></associations></booking></qloapps>";
}

step('add a booking with total_tax per room', function () use ($ws, &$state) {
    $xml = $ws->add(['resource' => 'bookings',
                     'postXml' => booking_xml('ana.php@example.com', '<room><adults>2</adults><child>0</child>'
                                              . '<total_tax>300</total_tax></room>')]);
    $b = $xml->booking;
    $state['booking'] = (int)$b->id;
    $room = $b->associations->room_types->room_type->rooms->room;
    check((int)$room->id_room > 0 && (int)$room->adults === 2, 'room with its occupancy');
    // Only these keys (WebserviceSpecificManagementBookings.php:3630-3706).
    $keys = array_map(fn ($n) => $n->getName(), iterator_to_array($room->children(), false));
    check($keys === ['id_room', 'id_hotel_booking', 'adults', 'child', 'unit_price_without_tax', 'total_tax'], 'keys');
    check((string)$room->total_tax === '300', 'total_tax as sent, echoed as a PHP float');
    return ['id' => $state['booking'], 'room_keys' => $keys];
});

step('add a booking without total_tax: HTTP 500 code 3, yet the order exists', function () use ($ws, &$state) {
    // classes/webservice/WebserviceSpecificManagementBookings.php:510, WebserviceRequest.php:686-688
    $why = refused(fn () => $ws->add(['resource' => 'bookings', 'postXml' => booking_xml(
        'ana.php@example.com', '<room><adults>2</adults><child>0</child></room>')]), 'HTTP status of 500');
    check(strpos($why, '(Code 3)') !== false && strpos($why, 'total_tax') !== false, 'the PHP warning, code 3');
    $orders = $ws->get(['resource' => 'orders', 'filter[id_customer]' => '[' . $state['customer'] . ']',
                        'display' => '[id,current_state]', 'sort' => '[id_ASC]']);
    check(count($orders->orders->order) === 2, 'two orders for the customer');
    $state['orphan'] = (int)$orders->orders->order[1]->id;
    return ['error' => $why, 'orders' => count($orders->orders->order)];
});

step('get a booking', function () use ($ws, &$state) {
    // classes/webservice/WebserviceSpecificManagementBookings.php:3545-3713 (getBookingDetails)
    $xml = $ws->get(['resource' => 'bookings', 'id' => $state['booking']]);
    $b = $xml->booking;
    check((int)$b->id === $state['booking'] && (string)$b->currency === 'EUR', 'id and currency');
    check((string)$b->associations->customer_detail->email === 'ana.php@example.com', 'customer email');
    check((string)$b->associations->remarks->remark === 'PHP client session', 'remark');
    return ['checkin_date' => (string)$b->associations->room_types->room_type->checkin_date];
});

step('cancel a booking with PUT bookings (booking_status 3)', function () use ($ws, &$state) {
    // classes/webservice/WebserviceSpecificManagementBookings.php:1949-2170 (handlePutRequest)
    $got = $ws->get(['resource' => 'bookings', 'id' => $state['booking']]);
    $rt = $got->booking->associations->room_types->room_type;
    $put = '<qloapps><booking><id>' . $state['booking'] . '</id><id_property>1</id_property>'
        . '<booking_status>3</booking_status><associations><customer_detail><email>ana.php@example.com</email>'
        . '</customer_detail><room_types><room_type><id_room_type>' . $rt->id_room_type . '</id_room_type>'
        . '<checkin_date>' . $rt->checkin_date . '</checkin_date><checkout_date>' . $rt->checkout_date
        . '</checkout_date><number_of_rooms>' . $rt->number_of_rooms . '</number_of_rooms></room_type>'
        . '</room_types></associations></booking></qloapps>';
    $ws->edit(['resource' => 'bookings', 'id' => $state['booking'], 'putXml' => $put]);
    $order = $ws->get(['resource' => 'orders', 'id' => $state['booking']]);
    check((string)$order->order->current_state === '4', 'order state 4 (Canceled)');
    return ['current_state' => (string)$order->order->current_state];
});

step('cancel through order_histories', function () use ($ws, &$state) {
    // modules/hotelreservationsystem/hotelreservationsystem.php:478-492 (state 4 frees the rooms)
    $xml = $ws->add(['resource' => 'order_histories', 'postXml' => '<qloapps><order_history><id_order>'
        . $state['orphan'] . '</id_order><id_order_state>4</id_order_state></order_history></qloapps>']);
    check((int)$xml->order_history->id_order_state === 4, 'history with state 4');
    $order = $ws->get(['resource' => 'orders', 'id' => $state['orphan']]);
    check((string)$order->order->current_state === '4', 'order state 4');
    return ['order' => $state['orphan'], 'current_state' => (string)$order->order->current_state];
});

step('delete customers, one and several', function () use ($ws) {
    // classes/webservice/WebserviceRequest.php:1355 (unknown ids), DELETE ?id=[…]
    $ids = [];
    foreach (['del1', 'del2', 'del3'] as $n) {
        $xml = $ws->add(['resource' => 'customers', 'postXml' => "<qloapps><customer><firstname>Del</firstname>"
            . "<lastname>Ete</lastname><email>$n@example.com</email><passwd>secret123</passwd>"
            . '<phone>+34600000000</phone></customer></qloapps>']);
        $ids[] = (int)$xml->customer->id;
    }
    check($ws->delete(['resource' => 'customers', 'id' => $ids[0]]) === true, 'one deleted');
    check($ws->delete(['resource' => 'customers', 'id' => [$ids[1], $ids[2]]]) === true, 'two deleted');
    refused(fn () => $ws->get(['resource' => 'customers', 'id' => $ids[1]]), 'HTTP response is empty');
    return ['deleted' => $ids];
});

step('head and errors as the client reports them', function () use ($ws) {
    // classes/webservice/WebserviceRequest.php:882 (code 27), WebserviceSpecificManagementBookings.php:688-692
    $header = $ws->head(['resource' => 'hotels']);
    check(stripos($header, 'PSWS-Version: 1.6.1.23') !== false, 'PSWS-Version header');
    $unknown = refused(fn () => $ws->get(['resource' => 'hotel_bookings']), '(Code 27)');
    $taken = refused(fn () => $ws->add(['resource' => 'bookings', 'postXml' => booking_xml(
        'full@example.com', '<room><id_room>1</id_room><adults>2</adults><child>0</child><total_tax>0</total_tax>'
        . '</room>')]), 'HTTP status of 400');
    check(strpos($taken, '(Code 404): Requested room(s) not available.') !== false, 'room 1 is not a Delux room');
    return ['unknown_resource' => substr($unknown, 0, 120), 'version' => $ws->getVersion()];
});

exit($failed ? 1 : 0);
