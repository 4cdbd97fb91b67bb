"""Figures for the simulated domain controller (no assertions): template build from an
empty cache (provision, configure, one fault variant), then N cycles of copy + start +
all KCD checks (KCD-1..KCD-7) and UC-7 + stop from the cache.

    .venv/bin/python benchmarks/bench_ad.py [cycles]
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wscard.ad import samba  # noqa: E402
from wscard.ad.session import session_for_samba  # noqa: E402
from wscard.pki import get_pki  # noqa: E402
from wscard.profile import directory_user_name, load_profile  # noqa: E402


def main(cycles: int = 5) -> None:
    reason = samba.unavailable_reason()
    if reason:
        sys.exit(reason)
    profile = load_profile()
    spec = samba.spec_from_profile(profile)
    pki = get_pki(profile.pki)
    tls = samba.tls_from_pki(pki, "dc")
    ldif = samba.pki_ldif(spec, pki, profile.ad.samba.ntauth, profile.ad.samba.alt_security_identities)
    certs = [("user", pki.get("user").cert)]
    with tempfile.TemporaryDirectory(prefix="wscard-bench-ad-") as tmp:
        cache = samba.TemplateCache(Path(tmp))
        t0 = time.monotonic()
        tpl = cache.get(spec)
        print(f"template from an empty cache: {time.monotonic() - t0:.2f} s {tpl.timings}")
        t0 = time.monotonic()
        variant = cache.get(dataclasses.replace(spec, spn="none"))
        print(f"fault variant from the compliant template: {time.monotonic() - t0:.2f} s {variant.timings}")
        rows = []
        for _ in range(cycles):
            t0 = time.monotonic()
            dc = samba.SambaDC(cache.get(spec), tls, setup_ldif=ldif)
            dc.start()
            t_start = time.monotonic() - t0
            s = session_for_samba(profile, dc)
            t1 = time.monotonic()
            results = [s.check_spn(), s.check_delegation_settings(), s.check_delegation_granted(),
                       s.check_delegation_refused_elsewhere(), s.check_ldap_service_chosen(),
                       s.check_every_domain_controller(), s.check_delegation_every_dc(), s.check_dc_certificates(),
                       s.check_service_account_name(directory_user_name(profile)),
                       s.check_encryption_types(), s.check_encryption_at_kdc(), s.check_ntauth(certs),
                       s.check_strong_mapping(certs, profile.pki.upn)]
            t_checks = time.monotonic() - t1
            t2 = time.monotonic()
            dc.stop()
            t_stop = time.monotonic() - t2
            assert all(r.status.value == "passed" for r in results)
            rows.append((t_start, t_checks, t_stop, time.monotonic() - t0, dc.timings.get("pki_attributes", 0.0)))
        for i, name in enumerate(("start (copy + samba up)", "KCD-1..7, UC-7 + S4U proof", "stop", "full cycle",
                                  "of start: PKI attributes")):
            vals = [r[i] for r in rows]
            print(f"{name:28s} median {statistics.median(vals):.3f} s  max {max(vals):.3f} s  (n={len(vals)})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
