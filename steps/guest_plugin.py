"""pytest glue for the in-session area: the guests under test as session fixtures.

The guests come from the profile's ``[guest]`` section (built for the simulated world,
read from a root path or a registry export otherwise); ``--guest-root``/``--guest-home``
point the Linux probes at another root without editing the profile.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wscard.guest import nss, opensc, world
from wscard.guest.card import CardPresence, card_presence
from wscard.guest.linux import LinuxGuest
from wscard.guest.windows import WindowsGuestConfig
from wscard.profile import Profile
from .harness_plugin import not_applicable


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("wscard-guest", "in-session checks (WorkSpace images)")
    g.addoption("--guest-root", default=None, metavar="PATH",
                help="check the Linux WorkSpace image at this root (/ inside a WorkSpace); overrides [guest]")
    g.addoption("--guest-home", default=None, metavar="PATH",
                help="the user's home inside the guest (default: yours when the root is /)")


def _guest_profile(profile: Profile, config: pytest.Config) -> Profile:
    root = config.getoption("--guest-root")
    home = config.getoption("--guest-home")
    if not root and not home:
        return profile
    g = profile.guest
    # a built Windows guest belongs to the simulated world: keep only a Windows guest the
    # profile reads itself
    os_list = ["linux"] + (["windows"] if "windows" in g.os and not g.build else [])
    return profile.replace("guest", build="", root=root or "/", home=home or "", os=os_list)


@pytest.fixture(scope="session")
def guest_profile(profile: Profile, pytestconfig: pytest.Config) -> Profile:
    return _guest_profile(profile, pytestconfig)


@pytest.fixture(scope="session")
def guest_linux(guest_profile: Profile, tmp_path_factory: pytest.TempPathFactory) -> LinuxGuest:
    if "linux" not in guest_profile.guest.os:
        not_applicable("the profile describes no Linux WorkSpace ([guest].os)")
    return world.linux_guest(guest_profile, tmp_path_factory.mktemp("guests"))


@pytest.fixture(scope="session")
def guest_windows(guest_profile: Profile, tmp_path_factory: pytest.TempPathFactory) -> WindowsGuestConfig:
    if "windows" not in guest_profile.guest.os:
        not_applicable("the profile describes no Windows WorkSpace ([guest].os)")
    return world.windows_guest(guest_profile, tmp_path_factory.mktemp("guests"))


@pytest.fixture(scope="session")
def guest_root_ca(guest_profile: Profile):
    """The root CA the directory trusts (None when unknown: SESSION-6 is then skipped)."""
    return world.expected_root_ca(guest_profile)


@pytest.fixture
def throwaway_home(tmp_path: Path, guest_profile: Profile) -> world.Procedure:
    """A home directory of this machine whose NSS database Chrome has just created
    (``certutil -N``), for following the user guide without touching a real home."""
    if shutil.which("modutil") is None:
        pytest.skip("the NSS tools are not installed here (libnss3-tools / nss-tools)")
    lib = opensc.host_library()
    if lib is None:
        pytest.skip("OpenSC's PKCS#11 library is not installed here (opensc-pkcs11 / opensc)")
    preferred = guest_profile.guest.opensc_library
    proc = world.fresh_home(tmp_path / "home", preferred if Path(preferred).is_file() else lib)
    return proc


@pytest.fixture
def card_reader() -> CardPresence:
    """A reader with a card that OpenSC sees (skips with the reason when there is none)."""
    presence = card_presence()
    if not presence.present:
        pytest.skip(presence.reason)
    return presence
