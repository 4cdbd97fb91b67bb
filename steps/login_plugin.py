"""pytest glue for the login area (features/login): the model client pointed at the
environment (its flow runs once per run, and once more in a reopened client), the
scratch worlds of the model cases (their cards keep the harness's PIN guard)."""

from __future__ import annotations

import pytest

from wscard.login.context import LoginContext
from wscard.login.environment import EnvironmentSignIn, environment_sign_in
from wscard.login.world import ModelWorlds
from wscard.profile import Profile


class DirectoryForLogon:
    """The domain for the model's Windows logon (second PIN prompt): the AD area's
    ``ad_session`` of the scenario that runs the flow (module-scoped, so the login
    module's scenarios share one simulated DC with SESSION-8), or why there is none."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.request: pytest.FixtureRequest | None = None

    def __call__(self):
        from .ad_plugin import skip_reason

        why = skip_reason(self.profile)
        if why:
            return why
        if self.request is None:
            return "no scenario handed the directory to the model"
        return self.request.getfixturevalue("ad_session")


@pytest.fixture(scope="session")
def login_directory(profile: Profile) -> DirectoryForLogon:
    return DirectoryForLogon(profile)


@pytest.fixture(scope="session")
def environment_login(profile: Profile, aws_env, world, workspaces_world, client, card_session, pki,
                      ocsp_responder, guest_profile: Profile, login_directory,
                      tmp_path_factory: pytest.TempPathFactory) -> EnvironmentSignIn:
    """The model client on the environment under test (the directory's WorkSpaces are
    seeded first in the simulated world), with the profile's Windows WorkSpace image, if
    any, as the Windows logon of the second PIN prompt."""
    from wscard.guest import world as guest_world

    directory_id = world.directory_id if world is not None else profile.aws.directory.id
    windows_guest = (guest_world.windows_guest(guest_profile, tmp_path_factory.mktemp("guests"))
                     if "windows" in guest_profile.guest.os else None)
    return environment_sign_in(LoginContext.from_profile(profile, pki, ocsp_responder), aws_env, directory_id, client,
                               card_session, windows_guest=windows_guest, directory=login_directory)


@pytest.fixture(scope="session")
def model_worlds(aws_env, profile: Profile, pki, ocsp_responder, tmp_path_factory: pytest.TempPathFactory):
    """The scratch worlds of the model cases (closed, and their directories deleted, at
    the end of the run)."""
    from hardware.pin import PinGuard

    worlds = ModelWorlds(aws_env, tmp_path_factory.mktemp("login-model"), PinGuard, profile.profile.baseline,
                         shared_responder=(pki, ocsp_responder))
    try:
        yield worlds
    finally:
        worlds.close()
