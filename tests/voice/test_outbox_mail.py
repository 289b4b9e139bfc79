"""The outbox's letters, built for a worker thread: one message, each recipient's own bytes."""

from __future__ import annotations

from email import message_from_bytes, policy

import aiosmtplib

from voice_server.outbox_mail import Letter, MailContent, envelope_address, letters

SENDER = "Imaprotect <alarme@example.com>"
CONTENT = MailContent(
    outbox_id=7,
    sender=SENDER,
    subject="[Maison] Alerte : intrusion",
    body="Une alerte s'est déclenchée à « Maison » : intrusion.".encode(),
    created_at=1_700_000_000.0,
)
TOO_LONG = "paul@" + "é" * 70 + ".fr"  # a domain label IDNA cannot encode


def _letter(result: Letter | Exception) -> Letter:
    assert isinstance(result, Letter), result
    return result


def test_each_recipient_gets_only_their_address_and_a_bad_one_only_its_error() -> None:
    result = letters(
        CONTENT, ["marie@example.org", TOO_LONG, "luc@exémple.fr"], smtputf8=False, eight_bit=True
    )

    assert isinstance(result[TOO_LONG], UnicodeError)
    marie, luc = _letter(result["marie@example.org"]), _letter(result["luc@exémple.fr"])
    assert luc.envelope == envelope_address("luc@exémple.fr") == "luc@xn--exmple-cva.fr"
    for letter, other in ((marie, luc.envelope), (luc, marie.envelope)):
        message = message_from_bytes(letter.data, policy=policy.default)
        assert message["To"] == letter.envelope
        assert other.encode() not in letter.data
        assert message["Message-ID"] == "<imaprotect.outbox.7@example.com>"
        assert not letter.smtputf8
    assert b"\xc2\xab Maison \xc2\xbb" in marie.data  # 8BITMIME: the UTF-8 body as it is


def test_without_8bitmime_the_letter_is_seven_bit() -> None:
    letter = _letter(
        letters(CONTENT, ["marie@example.org"], smtputf8=False, eight_bit=False)[
            "marie@example.org"
        ]
    )

    assert letter.data.isascii()
    body = message_from_bytes(letter.data, policy=policy.default).get_body(("plain",))
    assert body is not None
    assert "« Maison »" in body.get_content()


def test_an_international_sender_needs_smtputf8() -> None:
    content = MailContent(
        outbox_id=8, sender="Alarme <alarme@example.com>", subject="s", body=b"b", created_at=0.0
    )
    international = MailContent(
        outbox_id=8, sender="Alarme <alarmé@example.com>", subject="s", body=b"b", created_at=0.0
    )

    assert not _letter(
        letters(content, ["a@example.org"], smtputf8=False, eight_bit=True)["a@example.org"]
    ).smtputf8
    refused = letters(international, ["a@example.org"], smtputf8=False, eight_bit=True)
    assert isinstance(refused["a@example.org"], aiosmtplib.SMTPNotSupported)
    taken = letters(international, ["a@example.org"], smtputf8=True, eight_bit=True)
    assert _letter(taken["a@example.org"]).smtputf8


def test_a_message_that_cannot_be_built_is_an_error_for_every_recipient() -> None:
    broken = MailContent(outbox_id=9, sender=SENDER, subject="s", body=b"\xff", created_at=0.0)

    result = letters(broken, ["a@example.org", "b@example.org"], smtputf8=True, eight_bit=True)

    assert all(isinstance(error, UnicodeError) for error in result.values())
    assert list(result) == ["a@example.org", "b@example.org"]
