"""pytest glue for the PKI area: the test PKI, the local OCSP responder process and the
environment's PKI view, as session fixtures."""

from __future__ import annotations

import pytest

from wscard.pki import Pki, get_pki
from wscard.pki.environment import PkiEnvironment
from wscard.pki.responder import ResponderProcess
from wscard.profile import Profile


@pytest.fixture(scope="session")
def pki(profile: Profile) -> Pki:
    """The profile's PKI (generated test PKI, or the environment's certificate files)."""
    return get_pki(profile.pki)


@pytest.fixture(scope="session")
def ocsp_responder(pki: Pki, profile: Profile, tmp_path_factory: pytest.TempPathFactory):
    """The local OCSP responder (a separate process on 127.0.0.1), for a generated PKI;
    None for certificate files (their own responders are queried)."""
    if pki.mode != "generated":
        yield None
        return
    proc = ResponderProcess.for_pki(pki, tmp_path_factory.mktemp("ocsp-responder"), profile.pki.user_ocsp_status)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def pki_env(profile: Profile, pki: Pki, ocsp_responder, request) -> PkiEnvironment:
    """The PKI view of the environment. The OCSP URLs registered with the CAs are read
    from the directory itself (the same read-only snapshot the AD Connector scenarios
    judge), in the simulated world and on live AWS alike; when the directory cannot be
    read, the profile's statement ([aws] ocsp_url) is used and the AD Connector
    scenarios report why."""
    from wscard.errors import EnvironmentProblem

    try:
        snap = request.getfixturevalue("directory_under_test").snapshot
        registrations = snap.client_cert_auth()
    except EnvironmentProblem:
        registrations = None
    return PkiEnvironment(profile, pki, ocsp_responder, directory_registrations=registrations,
                          card_users=_card_users(profile, request))


def user_certificates_from_the_card(profile: Profile) -> bool:
    """Whether the user certificates under test are read from the card
    (``[pki] user_source``: ``card``, or ``auto`` with the real readers)."""
    source = profile.pki.user_source
    return not (source == "pki" or (source == "auto" and profile.card.backend != "pcsc"))


def _card_users(profile: Profile, request):
    """The logon certificate read from the card, when the user certificates come from it."""
    if not user_certificates_from_the_card(profile):
        return None
    from wscard.pki.environment import card_user_entries

    found = request.getfixturevalue("card_session").logon_certificate()
    return card_user_entries([found[0]] if found else [])


@pytest.fixture(scope="session")
def pki_model_env(profile: Profile, pki: Pki, pki_env: PkiEnvironment, tmp_path_factory: pytest.TempPathFactory):
    """For the OCSP process scenarios (@model): the generated test PKI and its local
    responder. With certificate files (a live environment) a default test PKI and a
    responder of its own are used, since those scenarios do not depend on the
    environment."""
    if pki.mode == "generated":
        yield pki_env
        return
    from wscard.sections.pki import PkiSection

    model_pki = get_pki(PkiSection())
    proc = ResponderProcess.for_pki(model_pki, tmp_path_factory.mktemp("ocsp-model-responder"))
    proc.start()
    try:
        yield PkiEnvironment(profile, model_pki, proc)
    finally:
        proc.stop()
