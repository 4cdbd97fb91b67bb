"""Building guests for the simulated world: a Linux tree and a Windows registry dump.

The Linux tree is laid out like an Amazon Linux 2 WSP WorkSpace after the administration
guide's steps (``enable_smartcard``, a Firefox ``SecurityDevices`` policy, the lock
screen override) and the user guide's Chrome step. Its NSS databases are made with the
real tools: ``certutil -N`` (what Chrome does on first start), the user guide's
``modutil -dbdir sql:.pki/nssdb/ -add "OpenSC" -libfile ...`` run in the user's home,
``certutil -A`` for the image's root CA; ``glib-compile-schemas`` compiles the schemas.
The OpenSC library the user's database names exists in the tree (a copy of this
machine's, at the same path, since ``modutil -add`` loads it).

Each variant breaks one documented step (see ``[guest].build``).

The Windows guest is a JSON registry dump (the format of docs/in_session.md). Its WSP
policy template is a *fixture*: the real ``wsp.admx`` could not be consulted, so the
registry value names below are made up and say so; what the fixture exercises is the
lookup of the policies by their documented display names.
"""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ..errors import EnvironmentProblem
from ..pki.certs import load_certificate, to_pem
from . import nss, opensc
from ..limits import certificate_propagation, ecc_logon_policy
from .windows import DUMP_FORMAT, FIREFOX_DEVICES, HKLM, LOCK_POLICY, SMARTCARD_POLICY, WSP_KEY

USER = "wsuser"
HOME = f"/home/{USER}"
FIREFOX_DIR = "/usr/lib64/firefox"
FIREFOX_PROFILE = "x7k2m9qa.default-release"
#: The library the administration guide's Firefox policy names.
POLICY_LIBRARY = "/usr/lib64/opensc-pkcs11.so"
#: Where the wrong-library-path variant's database points: a self-built OpenSC that was removed.
WRONG_LIBRARY = "/usr/local/lib/opensc-pkcs11.so"
IMAGE_CA_NICK = "WorkSpaces smart card root CA"
WINDOWS_OPENSC = r"C:\Program Files\OpenSC Project\OpenSC\pkcs11\onepin-opensc-pkcs11.dll"

SUDO_PAM = """#%PAM-1.0
auth       include      system-auth
account    include      system-auth
password   include      system-auth
session    optional     pam_keyinit.so revoke
session    required     pam_limits.so
session    include      system-auth
"""
SUDO_I_PAM = """#%PAM-1.0
auth       include      sudo
account    include      sudo
password   include      sudo
session    optional     pam_keyinit.so force revoke
session    include      sudo
"""
# The service filter of system-auth, commented out by default (S-ADMIN: "Uncomment the
# auth line for pam_succeed_if.so and edit the list of services as needed").
SERVICE_FILTER = ("auth        [success=1 default=ignore] pam_succeed_if.so service notin "
                  "{services} quiet use_uid")
ALL_SERVICES = "login:gdm:xdm:kdm:lightdm:mate-screensaver:xscreensaver:sudo:sudo-i:su"
WITHOUT_SUDO = "login:gdm:xdm:kdm:lightdm:mate-screensaver:xscreensaver"
SYSTEM_AUTH = """#%PAM-1.0
# Smart card authentication (pam_pkcs11), then passwords.
auth        required      pam_env.so
{filter}
auth        [success=done authinfo_unavail=ignore ignore=ignore default=die] pam_pkcs11.so nodebug
auth        sufficient    pam_unix.so nullok try_first_pass
auth        requisite     pam_succeed_if.so uid >= 1000 quiet_success
auth        sufficient    pam_krb5.so use_first_pass
auth        required      pam_deny.so

account     required      pam_unix.so broken_shadow
account     [default=bad success=ok user_unknown=ignore] pam_krb5.so
account     required      pam_permit.so

password    sufficient    pam_unix.so sha512 shadow nullok try_first_pass use_authtok
password    required      pam_deny.so

session     required      pam_limits.so
session     required      pam_unix.so
session     optional      pam_krb5.so
"""
PAM_PKCS11_CONF = """pam_pkcs11 {
  nullok = true;
  debug = false;
  use_first_pass = false;
  card_only = false;
  wait_for_card = false;
  use_pkcs11_module = opensc;
  pkcs11_module opensc {
    module = /usr/lib64/opensc-pkcs11.so;
    nss_dir = /etc/pki/nssdb;
    cert_policy = ca, signature;
  }
  use_mappers = generic;
  mapper generic {
    cert_item = upn;
    mapper_module = internal;
  }
}
"""
# A stand-in for mate-screensaver's schema: only the key the check reads, with the
# same default (locking enabled).
MATE_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<schemalist>
  <schema id="org.mate.screensaver" path="/org/mate/screensaver/">
    <key name="lock-enabled" type="b">
      <default>true</default>
      <summary>Lock on activation</summary>
    </key>
  </schema>
</schemalist>
"""
LOCK_OVERRIDE = "[org.mate.screensaver]\nlock-enabled=false\n"

FIXTURE_ADMX = f"""<?xml version="1.0" encoding="utf-8"?>
<!-- wscard test fixture, NOT Amazon's wsp.admx: same structure as an ADMX template,
     made-up value names. Used by the simulated world and the unit tests. -->
<policyDefinitions xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions" revision="1.0" schemaVersion="1.0">
  <policyNamespaces><target prefix="wsp" namespace="Wscard.Fixture.WSP" /></policyNamespaces>
  <resources minRequiredRevision="1.0" />
  <categories><category name="WSP" displayName="$(string.WSP)" /></categories>
  <policies>
    <policy name="FixtureSmartCard" class="Machine" displayName="$(string.FixtureSmartCard)"
            explainText="$(string.FixtureSmartCard_Help)" key="{WSP_KEY.split(chr(92), 1)[1]}"
            valueName="wscard_fixture_smart_card_redirection">
      <parentCategory ref="WSP" />
      <enabledValue><decimal value="1" /></enabledValue>
      <disabledValue><decimal value="0" /></disabledValue>
    </policy>
    <policy name="FixtureLock" class="Machine" displayName="$(string.FixtureLock)"
            explainText="$(string.FixtureLock_Help)" key="{WSP_KEY.split(chr(92), 1)[1]}"
            valueName="wscard_fixture_disconnect_on_lock">
      <parentCategory ref="WSP" />
      <enabledValue><decimal value="1" /></enabledValue>
      <disabledValue><decimal value="0" /></disabledValue>
    </policy>
  </policies>
</policyDefinitions>
"""
FIXTURE_ADML = f"""<?xml version="1.0" encoding="utf-8"?>
<policyDefinitionResources xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions" revision="1.0" schemaVersion="1.0">
  <displayName>wscard fixture</displayName>
  <description>wscard test fixture</description>
  <resources>
    <stringTable>
      <string id="WSP">WSP</string>
      <string id="FixtureSmartCard">{SMARTCARD_POLICY}</string>
      <string id="FixtureSmartCard_Help">Fixture.</string>
      <string id="FixtureLock">{LOCK_POLICY}</string>
      <string id="FixtureLock_Help">Fixture.</string>
    </stringTable>
  </resources>
</policyDefinitionResources>
"""
FIXTURE_VALUES = ("wscard_fixture_smart_card_redirection", "wscard_fixture_disconnect_on_lock")


# --- distribution layouts (issue 12: guests as real images have them) -------------------

@dataclass(frozen=True)
class Layout:
    """Which distribution's layout each part of the built Linux tree follows (see
    ``[guest.layout]``): ``pam`` ``pam_pkcs11`` | ``sssd``, ``firefox`` ``package`` |
    ``snap``, ``nss_modules`` ``direct`` | ``p11-kit``."""

    pam: str = "pam_pkcs11"
    firefox: str = "package"
    nss_modules: str = "direct"


# RHEL 8/9 authselect "sssd" profile with-smartcard-required, reduced to its auth lines
# (tests/data/realworld/pam-sss-sudo-excluded/: the service list leaves sudo out).
SSSD_SERVICES = "login:gdm:xdm:kdm:xscreensaver:gnome-screensaver:kscreensaver"
SSSD_SYSTEM_AUTH = """auth        required                                     pam_env.so
auth        required                                     pam_faildelay.so delay=2000000
auth        [success=1 default=ignore]                   pam_succeed_if.so service notin {services} quiet use_uid
auth        [success=done ignore=ignore default=die]     pam_sss.so require_cert_auth ignore_authinfo_unavail
auth        [default=1 ignore=ignore success=ok]         pam_usertype.so isregular
auth        [default=1 ignore=ignore success=ok]         pam_localuser.so
auth        sufficient                                   pam_unix.so nullok
auth        [default=1 ignore=ignore success=ok]         pam_usertype.so isregular
auth        sufficient                                   pam_sss.so forward_pass
auth        required                                     pam_deny.so

account     required                                     pam_unix.so
account     [default=bad success=ok user_unknown=ignore] pam_sss.so
account     required                                     pam_permit.so

session     required                                     pam_limits.so
session     required                                     pam_unix.so
session     optional                                     pam_sss.so
"""
SSSD_SUDO_PAM = """#%PAM-1.0
auth       include      system-auth
account    include      system-auth
password   include      system-auth
session    include      system-auth
"""
SSSD_CONF = """[sssd]
services = nss, pam
domains = corp.example.com

[domain/corp.example.com]
id_provider = ad
access_provider = ad

[pam]
pam_cert_auth = True
"""
AUTHSELECT_CONF = "sssd\nwith-smartcard\nwith-smartcard-required\n"
# Ubuntu's Firefox snap (tests/data/realworld/firefox-snap/).
SNAP_REVISION = "5187"
SNAP_OPENSC = "/snap/firefox/current/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
SNAP_PROFILE = "abcd.default"
# Fedora/RHEL: NSS reaches OpenSC through p11-kit (tests/data/realworld/nss-p11-kit-proxy/).
P11KIT_PROXY = "p11-kit-proxy.so"
P11KIT_OPENSC_MODULE = "# This file describes how to load the opensc module\nmodule: opensc-pkcs11.so\n"


@dataclass
class BuiltLinux:
    root: Path
    home: str  # guest path


def _write(root: Path, guest_path: str, text: str) -> Path:
    p = root / guest_path.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def impostor_of(cert: x509.Certificate) -> bytes:
    """A self-signed CA with the same subject as ``cert`` and another key (EC P-256),
    basicConstraints only, valid from yesterday for 3650 days; PEM."""
    from ..pki.build import ca_certificate

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    imp = ca_certificate(cert.subject, key, not_before=now - datetime.timedelta(days=1),
                         not_after=now + datetime.timedelta(days=3650), key_usage=None,
                         subject_key_id=False, authority_key_id=False)
    return to_pem(imp)


def _copy_library(root: Path, guest_path: str, host_library: str | None) -> None:
    """A library in the tree: a copy of this machine's OpenSC, else an empty placeholder
    (the probes only check that it exists)."""
    p = root / guest_path.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    if host_library:
        shutil.copyfile(host_library, p)
    else:
        p.write_bytes(b"")


def build_linux(dest: Path, variant: str = "compliant", root_ca_pem: bytes | None = None,
                host_library: str | None = None, layout: Layout | None = None) -> BuiltLinux:
    """Build a Linux guest tree under ``dest`` (which must not exist or be empty), laid out
    as ``layout`` says (default: Amazon Linux 2) with ``variant``'s one step broken."""
    layout = layout or Layout()
    dest = Path(dest)
    root = dest / "root"
    root.mkdir(parents=True, exist_ok=True)
    host_library = host_library or opensc.host_library()
    # Amazon Linux 2 layout: /lib64 -> usr/lib64, OpenSC in /usr/lib64
    (root / "usr/lib64").mkdir(parents=True, exist_ok=True)
    if not (root / "lib64").exists():
        (root / "lib64").symlink_to("usr/lib64")
    lib_in_tree = root / POLICY_LIBRARY.lstrip("/")
    if host_library:
        shutil.copyfile(host_library, lib_in_tree)
        same_path = root / host_library.lstrip("/")
        if not same_path.exists():
            same_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(host_library, same_path)
    else:
        lib_in_tree.write_bytes(b"")  # placeholder: only its existence is checked
    # the user's NSS database, as Chrome creates it, then the user guide's command
    home = root / HOME.lstrip("/")
    nss.create_db(home / ".pki/nssdb")
    if layout.nss_modules == "p11-kit":
        _p11kit_nssdb(root, home / ".pki/nssdb", variant, host_library)
    elif variant == "wrong-library-path":
        nss.rawadd_module(home / ".pki/nssdb", "OpenSC", WRONG_LIBRARY)
    elif variant != "module-not-registered":
        if host_library:
            proc = nss.run_documented_add(home, host_library)
            if nss.ADDED_MESSAGE.format(name="OpenSC") not in proc.stdout:
                raise EnvironmentProblem(f"the user guide's modutil command failed while building: {proc.stdout}{proc.stderr}")
        else:
            nss.rawadd_module(home / ".pki/nssdb", "OpenSC", opensc.DOCUMENTED)
    # Firefox: installation, policy, a profile with its own (empty) database
    if layout.firefox == "snap":
        _firefox_snap(root, home, variant, host_library)
    else:
        _write(root, f"{FIREFOX_DIR}/application.ini", "[App]\nVendor=Mozilla\nName=Firefox\nVersion=115.0\n")
        policies: dict = {"DisableAppUpdate": True}
        if variant != "no-firefox-policy":
            policies["SecurityDevices"] = {"OpenSC": POLICY_LIBRARY}
        _write(root, f"{FIREFOX_DIR}/distribution/policies.json", json.dumps({"policies": policies}, indent=2))
        _write(root, f"{HOME}/.mozilla/firefox/profiles.ini",
               f"[Profile0]\nName=default-release\nIsRelative=1\nPath={FIREFOX_PROFILE}\nDefault=1\n\n"
               "[General]\nStartWithLastProfile=1\nVersion=2\n")
        nss.create_db(home / ".mozilla/firefox" / FIREFOX_PROFILE)
    # PAM
    if layout.pam == "sssd":
        _sssd_pam(root, variant)
    else:
        _write(root, "/etc/pam.d/sudo", SUDO_PAM)
        _write(root, "/etc/pam.d/sudo-i", SUDO_I_PAM)
        filt = SERVICE_FILTER.format(services=WITHOUT_SUDO if variant == "sudo-excluded" else ALL_SERVICES)
        if variant != "sudo-excluded":
            filt = "#" + filt
        _write(root, "/etc/pam.d/system-auth-ac", SYSTEM_AUTH.format(filter=filt))
        if not (root / "etc/pam.d/system-auth").exists():
            (root / "etc/pam.d/system-auth").symlink_to("system-auth-ac")
        _write(root, "/etc/pam_pkcs11/pam_pkcs11.conf", PAM_PKCS11_CONF)
    # the image's NSS database with the root CA
    image_db = root / "etc/pki/nssdb"
    nss.create_db(image_db)
    if root_ca_pem:
        if variant == "ca-missing":
            cert = load_certificate(root_ca_pem, "the root CA")
            nss.add_cert(image_db, IMAGE_CA_NICK, impostor_of(cert), "CT,C,C")
        else:
            nss.add_cert(image_db, IMAGE_CA_NICK, root_ca_pem, "CT,C,C")
    # lock screen
    _write(root, "/usr/share/glib-2.0/schemas/org.mate.screensaver.gschema.xml", MATE_SCHEMA)
    if variant != "lock-screen-enabled":
        _write(root, "/usr/share/glib-2.0/schemas/10_screensaver.gschema.override", LOCK_OVERRIDE)
    compiler = shutil.which("glib-compile-schemas")
    if compiler:
        subprocess.run([compiler, str(root / "usr/share/glib-2.0/schemas")], check=True, capture_output=True, timeout=30)
    return BuiltLinux(root, HOME)


def _p11kit_nssdb(root: Path, db: Path, variant: str, host_library: str | None) -> None:
    """Fedora/RHEL: the user's database registers p11-kit-proxy (by its bare file name, as
    crypto-policies write it) and p11-kit's opensc.module names OpenSC. The broken variants:
    ``module-not-registered`` (no OpenSC module file for p11-kit), ``wrong-library-path``
    (the module file names a library that is not there)."""
    nss.rawadd_module(db, "p11-kit-proxy", P11KIT_PROXY)
    _copy_library(root, f"/usr/lib64/{P11KIT_PROXY}", None)
    _copy_library(root, "/usr/lib64/pkcs11/opensc-pkcs11.so", host_library)
    if variant == "module-not-registered":
        return
    text = P11KIT_OPENSC_MODULE if variant != "wrong-library-path" else \
        P11KIT_OPENSC_MODULE.replace("opensc-pkcs11.so", WRONG_LIBRARY)
    _write(root, "/usr/share/p11-kit/modules/opensc.module", text)


def _firefox_snap(root: Path, home: Path, variant: str, host_library: str | None) -> None:
    """Ubuntu's Firefox snap: the snap's folders, /usr/bin/firefox leading to it, the policy
    in /etc/firefox/policies naming the OpenSC the snap ships, profiles under ~/snap."""
    rev = root / "snap/firefox" / SNAP_REVISION
    _write(root, f"/snap/firefox/{SNAP_REVISION}/usr/lib/firefox/application.ini",
           "[App]\nVendor=Mozilla\nName=Firefox\nVersion=133.0\n")
    _write(root, f"/snap/firefox/{SNAP_REVISION}/usr/lib/firefox/firefox", "")
    _copy_library(root, f"/snap/firefox/{SNAP_REVISION}/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", host_library)
    current = rev.parent / "current"
    if not current.exists():
        current.symlink_to(SNAP_REVISION)
    (root / "usr/bin").mkdir(parents=True, exist_ok=True)
    if not (root / "usr/bin/firefox").exists():
        (root / "usr/bin/firefox").symlink_to("/snap/bin/firefox")
    policies: dict = {"DisableTelemetry": True}
    if variant != "no-firefox-policy":
        policies["SecurityDevices"] = {"Add": {"OpenSC": SNAP_OPENSC}}
    _write(root, "/etc/firefox/policies/policies.json", json.dumps({"policies": policies}, indent=2))
    base = home / "snap/firefox/common/.mozilla/firefox"
    base.mkdir(parents=True, exist_ok=True)
    (base / "profiles.ini").write_text(f"[Profile0]\nName=default\nIsRelative=1\nPath={SNAP_PROFILE}\nDefault=1\n")
    nss.create_db(base / SNAP_PROFILE)


def _sssd_pam(root: Path, variant: str) -> None:
    """RHEL/Rocky 8 and 9: authselect's sssd profile with smart cards required. The
    compliant image lists sudo and sudo-i in the service list; ``sudo-excluded`` keeps the
    list authselect writes, which leaves them out."""
    services = SSSD_SERVICES if variant == "sudo-excluded" else f"{SSSD_SERVICES}:sudo:sudo-i"
    _write(root, "/etc/authselect/system-auth", SSSD_SYSTEM_AUTH.format(services=services))
    _write(root, "/etc/authselect/authselect.conf", AUTHSELECT_CONF)
    (root / "etc/pam.d").mkdir(parents=True, exist_ok=True)
    if not (root / "etc/pam.d/system-auth").exists():
        (root / "etc/pam.d/system-auth").symlink_to("/etc/authselect/system-auth")
    _write(root, "/etc/pam.d/sudo", SSSD_SUDO_PAM)
    _write(root, "/etc/pam.d/sudo-i", SSSD_SUDO_PAM)
    _write(root, "/etc/sssd/sssd.conf", SSSD_CONF).chmod(0o600)


def windows_dump(variant: str = "compliant") -> dict:
    """A registry dump of a Windows WorkSpace (JSON dump format)."""
    smartcard = 0 if variant == "windows-no-smartcard-redirection" else 1
    lock = 0 if variant == "windows-no-disconnect-on-lock" else 1
    keys: dict = {
        WSP_KEY: {
            FIXTURE_VALUES[0]: {"type": "REG_DWORD", "value": smartcard},
            FIXTURE_VALUES[1]: {"type": "REG_DWORD", "value": lock},
        }
    }
    if variant != "windows-no-firefox-policy":
        keys[f"{HKLM}\\{FIREFOX_DEVICES}"] = {"OpenSC": {"type": "REG_SZ", "value": WINDOWS_OPENSC}}
    # SESSION-10: the Certificate Propagation service (Automatic = 2, Manual = 3).
    cert_prop = certificate_propagation()
    start = 3 if variant == "windows-certprop-manual" else cert_prop["start_automatic"]
    keys[cert_prop["key"]] = {"Start": {"type": "REG_DWORD", "value": start},
                              "DisplayName": {"type": "REG_SZ", "value": cert_prop["display_name"]}}
    if variant == "windows-no-certificate-propagation-policy":
        keys[cert_prop["policy_key"]] = {cert_prop["policy_value"]: {"type": "REG_DWORD",
                                                                     "value": cert_prop["policy_disabled"]}}
    running = "Stopped" if variant in ("windows-certprop-stopped", "windows-certprop-manual") else "Running"
    # UC-8: ECC logon certificates allowed at the Windows logon.
    if variant != "windows-no-ecc-policy":
        ecc = ecc_logon_policy()
        keys[ecc["key"]] = {ecc["value"]: {"type": "REG_DWORD", "value": ecc["enabled"]}}
    return {
        "format": DUMP_FORMAT,
        "computer": "WSAMZN-FIXTURE",
        "keys": keys,
        "files": {WINDOWS_OPENSC: True},
        "services": {cert_prop["service"]: {"Status": running,
                                            "StartType": "Automatic" if start == 2 else "Manual"}},
        "templates": {"wsp.admx": FIXTURE_ADMX, "wsp.adml": FIXTURE_ADML},
    }


def build_windows(dest: Path, variant: str = "compliant") -> Path:
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "registry.json"
    path.write_text(json.dumps(windows_dump(variant), indent=2))
    return path
