"""X-Hub-Signature-256 verification over the raw bytes."""

from __future__ import annotations

from agent.signature import is_valid, sign

# pywa's published test vector (secret already revoked), reference §1.2.
PYWA_SECRET = "1222e786b144d0e85b9f365372d93676"


def test_signature_is_computed_over_escaped_raw_bytes_not_reserialised_json() -> None:
    raw = b'{"caption":"Hola quiero un caf\\u00e9","url":"https:\\/\\/x"}'
    header = sign("s", raw)
    assert is_valid("s", raw, header)
    assert not is_valid("s", '{"caption":"Hola quiero un café","url":"https://x"}'.encode(), header)


def test_missing_wrong_prefix_or_other_secret_is_rejected() -> None:
    raw = b"{}"
    assert not is_valid("s", raw, None)
    assert not is_valid("s", raw, "")
    assert not is_valid("s", raw, sign("s", raw).removeprefix("sha256="))
    assert not is_valid("s", raw, sign("other", raw))
    assert not is_valid("", raw, sign("", raw))
    assert is_valid("s", raw, sign("s", raw).upper().replace("SHA256=", "sha256="))


def test_known_vector_shape() -> None:
    header = sign(PYWA_SECRET, b"x")
    assert header.startswith("sha256=") and len(header) == 7 + 64
