"""The model's second PIN prompt is the Windows logon inside the WorkSpace: the domain's
side (KCD-7 NTAuth, UC-7 strong mapping) stops the modelled sign-in there, naming the
requirement; without a domain it is "not modelled", said so, and never a failure."""

from __future__ import annotations

import dataclasses

import pytest

from wscard.ad import checks, mapping
from wscard.ad.model import Account, NtAuthStore
from wscard.checks import Status
from wscard.errors import EnvironmentProblem
from wscard.login import checks as lc
from wscard.login.windows_logon import WindowsLogon
from wscard.sid import TEST_USER_RID, simulated_sid

DN = "CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,DC=corp,DC=example,DC=com"


class Domain:
    """A directory as the AD session answers, from data built by hand (the real checks)."""

    def __init__(self, pki, ntauth=("intermediate",), sid=simulated_sid(TEST_USER_RID), alt=()):
        self.store = NtAuthStore(DN, bool(ntauth), [pki.get(n).der for n in ntauth])
        self.account = Account("CN=testuser,CN=Users,DC=corp,DC=example,DC=com", "testuser",
                               "testuser@corp.example.com", 0x200, object_sid=sid, alt_security_identities=list(alt))
        self.asked = 0

    def check_ntauth(self, certs):
        self.asked += 1
        return checks.check_ntauth(self.store, certs)

    def check_strong_mapping(self, certs, upn=""):
        (label, cert), = certs
        return mapping.check_strong_mapping(cert, label, self.account)


def _run(worlds, provider):
    setup = worlds.prepare("nothing is wrong")
    model = dataclasses.replace(setup.client, windows_logon=WindowsLogon(provider, "testuser@corp.example.com"))
    return model, setup, model.run(setup.inputs)


def test_a_compliant_domain_lets_the_workspace_start_and_is_asked_once(worlds):
    domain = Domain(worlds.pki)
    model, setup, run = _run(worlds, lambda: domain)
    assert run.signed_in, run.text()
    facts = run.steps["starting"].facts["windows_logon_domain"]
    assert facts["modelled"] and {r["requirement"] for r in facts["rules"]} == {"KCD-7", "UC-7"}
    assert all(r["status"] == "passed" for r in facts["rules"])
    assert model.run(setup.inputs, attempt=2).signed_in and domain.asked == 1


@pytest.mark.parametrize("how,see,words", [
    ({"ntauth": ()}, ["KCD-7"], "does not exist"),
    ({"ntauth": ("root",)}, ["KCD-7"], "does not count"),
    ({"sid": simulated_sid(1600)}, ["UC-7"], "issued for another account"),
    ({"ntauth": (), "sid": simulated_sid(1600)}, ["KCD-7", "UC-7"], "refused by the domain controller"),
])
def test_the_domain_refusing_stops_the_sign_in_at_the_second_prompt(worlds, how, see, words):
    model, setup, run = _run(worlds, lambda: Domain(worlds.pki, **how))
    assert (run.outcome, run.stopped_at, run.requirement) == ("failed", "starting", "LOGIN-2"), run.text()
    assert run.see == see and words in run.reason
    assert run.prompts[-1].status == "ok" and not run.prompts[-1].pin_sent_to_card  # the PIN went once
    result = lc.check_sign_in(run)
    assert result.status is Status.FAILED and see[0] in result.message()


@pytest.mark.parametrize("provider,why", [
    (lambda: "the profile has no Active Directory domain", "no Active Directory domain"),
    (lambda: (_ for _ in ()).throw(EnvironmentProblem("port 636 refused")), "port 636 refused"),
    (None, "no directory was given"),
])
def test_without_a_domain_the_windows_logon_is_not_modelled_and_says_why(worlds, provider, why):
    model, setup, run = _run(worlds, provider)
    assert run.signed_in, run.text()
    assert "not modelled" in run.steps["starting"].detail and why in run.steps["starting"].detail
    assert run.steps["starting"].facts["windows_logon_domain"]["modelled"] is False
