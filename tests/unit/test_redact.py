"""wscard.report.redact: secrets never reach a log, an attachment or a report."""

from __future__ import annotations

import pytest

from wscard.report.redact import REDACTED, is_secret_key, redact, redact_text

PEM_KEY = """-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj
MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu
-----END PRIVATE KEY-----"""


@pytest.mark.parametrize("key", [
    "password", "Password", "user_password", "AdminPassword", "passwd", "client_secret", "SecretAccessKey",
    "aws_secret_access_key", "SessionToken", "x-amz-security-token", "Authorization", "pin", "PIN", "user_pin",
    "soPin", "puk", "private_key", "PrivateKey", "AccessKey", "Cookie", "credentials",
])
def test_secret_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", [
    "NextToken", "ClientToken", "pinned", "spinner", "pin_tries_left", "PinRetries", "tries_left", "mapping",
    "shipping", "typing", "region", "DirectoryId", "subject", "host", "profile",
])
def test_keys_that_are_not_secrets(key):
    assert not is_secret_key(key)


def test_redact_replaces_values_of_secret_keys_at_any_depth():
    data = {"ConnectSettings": {"CustomerUserName": "svc", "Password": "hunter2"},
            "items": [{"pin": "123456", "pin_tries_left": 3}], "empty_password": "", "token": None}
    assert redact(data) == {"ConnectSettings": {"CustomerUserName": "svc", "Password": REDACTED},
                            "items": [{"pin": REDACTED, "pin_tries_left": 3}], "empty_password": "", "token": None}


def test_redact_text_keeps_the_existing_rules():
    text = ("AKIAIOSFODNN7EXAMPLE Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/ds/aws4_request, "
            "Signature=" + "ab" * 32)
    out = redact_text(text, ("swordfish",))
    assert "AKIAIOSFODNN7EXAMPLE" not in out and "ab" * 32 not in out
    assert redact_text("the swordfish is here", ("swordfish",)) == f"the {REDACTED} is here"


def test_redact_text_removes_private_keys_but_keeps_the_markers():
    out = redact_text(f"before\n{PEM_KEY}\nafter")
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj" not in out
    assert "-----BEGIN PRIVATE KEY-----" in out and "-----END PRIVATE KEY-----" in out
    assert out.startswith("before\n") and out.endswith("\nafter") and REDACTED in out
    truncated = redact_text("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY")
    assert "MHcCAQEE" not in truncated
    # certificates are evidence, not secrets
    cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----"
    assert redact_text(cert) == cert


@pytest.mark.parametrize("text, secret", [
    ("password=hunter2 next", "hunter2"),
    ("Password: hunter2", "hunter2"),
    ('{"Password": "two words"}', "two words"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    ("https://ds.amazonaws.com/?X-Amz-Security-Token=abcDEF123&Action=x", "abcDEF123"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "eyJhbGciOiJIUzI1NiJ9"),
    ("header Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ("ldaps://svc-adconnector:S3cr3t!@dc1.example.com:636", "S3cr3t!"),
    ("token FwoGZXIvYXdzEBYaDHqa0AP1/+3/FAKESESSIONTOKEN== end", "FwoGZXIvYXdzEBYaDHqa0AP1"),
    ("PIN: 123456", "123456"),
])
def test_redact_text_finds_secrets_in_free_text(text, secret):
    out = redact_text(text)
    assert secret not in out, out
    assert REDACTED in out


@pytest.mark.parametrize("text", [
    "NON-COMPLIANT [CA-4] CN=alice: the Smart Card Logon EKU is missing\nFix: reissue it",
    "Environment problem: OCSP responder at http://127.0.0.1:9/ did not answer",
    "Basic authentication is disabled",
    "pin_tries_left=3 NextToken=abc123 pinned: true",
    "password: null, token=",
    "https://docs.aws.amazon.com/workspaces/latest/adminguide/smart-cards.html",
    "time 12:30, ratio 3:1, host=ws-01",
])
def test_redact_text_leaves_ordinary_text_alone(text):
    assert redact_text(text) == text


def test_redact_text_is_idempotent():
    text = f"password=hunter2 {PEM_KEY} Authorization: Bearer abcDEF123456"
    once = redact_text(text)
    assert redact_text(once) == once
