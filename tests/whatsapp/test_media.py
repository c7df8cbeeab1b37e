"""Media: upload, GET url/metadata, bearer-only download, URL and id expiry, delete, send by id."""

from __future__ import annotations

import hashlib

from tests.whatsapp.conftest import AUTH, GUEST, PNID, Harness, assert_envelope

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


def upload(
    h: Harness,
    data: bytes = JPEG,
    mime: str = "image/jpeg",
    product: str | None = "whatsapp",
    file_mime: str | None = None,
):
    form = {"type": mime}
    if product is not None:
        form["messaging_product"] = product
    return h.http.post(
        f"/v21.0/{PNID}/media", headers=AUTH, data=form, files={"file": ("room.jpg", data, file_mime or mime)}
    )


def test_upload_get_download_delete(fresh: Harness) -> None:
    r = upload(fresh)
    assert r.status_code == 200 and list(r.json()) == ["id"]
    media_id = r.json()["id"]
    meta = fresh.http.get(f"/v21.0/{media_id}", headers=AUTH).json()
    assert meta == {
        "messaging_product": "whatsapp",
        "url": meta["url"],
        "mime_type": "image/jpeg",
        "sha256": hashlib.sha256(JPEG).hexdigest(),
        "file_size": len(JPEG),
        "id": media_id,
    }
    assert "/whatsapp_business/attachments/?mid=" + media_id in meta["url"]
    assert fresh.http.get(meta["url"]).status_code == 401
    got = fresh.http.get(meta["url"], headers=AUTH)
    assert got.status_code == 200 and got.content == JPEG
    assert fresh.http.delete(f"/v21.0/{media_id}", headers=AUTH).json() == {"success": True}
    assert_envelope(
        fresh.http.get(f"/v21.0/{media_id}", headers=AUTH), 400, 100, subcode=33, etype="GraphMethodException"
    )


def test_media_url_expires_after_five_minutes_and_id_after_thirty_days(fresh: Harness) -> None:
    media_id = upload(fresh).json()["id"]
    url = fresh.http.get(f"/v21.0/{media_id}", headers=AUTH).json()["url"]
    fresh.http.post("/_sim/clock/advance", json={"seconds": 301})
    assert fresh.http.get(url, headers=AUTH).status_code == 404
    fresh_url = fresh.http.get(f"/v21.0/{media_id}", headers=AUTH).json()["url"]
    assert fresh.http.get(fresh_url, headers=AUTH).content == JPEG
    fresh.http.post("/_sim/clock/advance", json={"seconds": 30 * 86400})
    assert_envelope(
        fresh.http.get(f"/v21.0/{media_id}", headers=AUTH), 400, 100, subcode=33, etype="GraphMethodException"
    )


def test_guest_media_ids_live_seven_days(fresh: Harness) -> None:
    r = fresh.http.post(f"/_sim/guests/{GUEST}/messages", json={"type": "audio", "voice": True}).json()
    media_id = r["message"]["audio"]["id"]
    assert r["message"]["audio"]["voice"] is True
    assert fresh.http.get(f"/v21.0/{media_id}", headers=AUTH).status_code == 200
    fresh.http.post("/_sim/clock/advance", json={"seconds": 7 * 86400})
    assert fresh.http.get(f"/v21.0/{media_id}", headers=AUTH).status_code == 400


def test_upload_errors(fresh: Harness) -> None:
    err = assert_envelope(upload(fresh, product=None), 400, 100)
    assert err["message"] == "(#100) The parameter messaging_product is required."
    assert_envelope(upload(fresh, mime="application/x-msdownload"), 400, 131053, details="one of the following")
    assert_envelope(upload(fresh, mime="image/png", file_mime="image/jpeg"), 400, 131053, details="does not match")
    assert_envelope(upload(fresh, data=b"\x00" * (5 * 1024 * 1024 + 1)), 400, 131053, details="too large")
    r = fresh.http.post(
        f"/v21.0/{PNID}/media",
        headers=AUTH,
        data={"messaging_product": "whatsapp"},
        files={"other": ("a", b"x", "text/plain")},
    )
    assert_envelope(r, 400, 100, details="file is required")
    assert fresh.state.media == {}


def test_upload_needs_bearer_and_known_number(fresh: Harness) -> None:
    r = fresh.http.post(
        f"/v21.0/{PNID}/media", data={"messaging_product": "whatsapp"}, files={"file": ("a.jpg", JPEG, "image/jpeg")}
    )
    assert_envelope(r, 401, 190)
    r = fresh.http.post(
        "/v21.0/123/media",
        headers=AUTH,
        data={"messaging_product": "whatsapp"},
        files={"file": ("a.jpg", JPEG, "image/jpeg")},
    )
    assert_envelope(r, 400, 100, subcode=33, etype="GraphMethodException")


def test_send_image_by_uploaded_id_and_refuse_unknown_id(fresh: Harness) -> None:
    fresh.guest_says("hola")
    media_id = upload(fresh).json()["id"]
    body = {"messaging_product": "whatsapp", "to": GUEST, "type": "image", "image": {"id": media_id}}
    assert fresh.send(body).status_code == 200
    body["image"]["id"] = "424242"
    assert_envelope(fresh.send(body), 400, 100, details="does not exist")
