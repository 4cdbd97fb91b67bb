"""Which AWS Regions exist, as far as the installed botocore knows (its endpoint data).

Used to check ``[aws].region`` and ``[aws].procedure_region`` when a profile is loaded:

* the simulated world (moto) can only simulate a Region that botocore lists for both
  Directory Service and WorkSpaces (moto builds its backends from the same data), so
  there any other Region is a :class:`~wscard.errors.ProfileError`;
* on live AWS (and an endpoint) a Region botocore does not list may simply be newer
  than the installed botocore. A name that fits a known partition's Region pattern
  (``ap-east-9`` in ``aws``) is accepted with a warning; a name that fits no partition
  (``mars-north-7``) is refused unless ``[aws].allow_unknown_region = true`` (a Region
  of a partition newer than botocore). Updating boto3/botocore is the better fix.

Source of the data: botocore's ``endpoints.json`` (partitions, their ``regionRegex`` and
the Regions each service is offered in). No network access.

A leaf module (stdlib and botocore's data only): the profile section ``[aws]`` and the
AWS area both use it, and it imports neither (docs/ARCHITECTURE.md, "What each package
may import").
"""

from __future__ import annotations

import difflib
import functools
import re

#: Services the harness calls in the directory's Region.
SERVICES = ("ds", "workspaces")


@functools.cache
def _endpoints() -> dict:
    import botocore.session

    return botocore.session.get_session().get_component("data_loader").load_data("endpoints")


@functools.cache
def known_regions(service: str = "ds") -> dict[str, str]:
    """Region name -> partition name, for every Region botocore lists ``service`` in."""
    out: dict[str, str] = {}
    for part in _endpoints()["partitions"]:
        endpoints = part.get("services", {}).get(service, {}).get("endpoints", {})
        for name in endpoints:
            if name in part.get("regions", {}):
                out[name] = part["partition"]
    return out


@functools.cache
def all_regions() -> dict[str, str]:
    """Region name -> partition name, for every Region of every partition botocore knows."""
    return {name: part["partition"] for part in _endpoints()["partitions"] for name in part.get("regions", {})}


def partition_of(region: str) -> str | None:
    """The partition whose Region pattern (``regionRegex``) the name fits, else None."""
    for part in _endpoints()["partitions"]:
        if re.match(part["regionRegex"], region):
            return part["partition"]
    return None


def closest(region: str, options: list[str] | None = None) -> str | None:
    """The known Region nearest in spelling to ``region`` (None if nothing is close)."""
    found = difflib.get_close_matches(region, options or sorted(all_regions()), n=1, cutoff=0.5)
    return found[0] if found else None


def botocore_version() -> str:
    import botocore

    return botocore.__version__


def simulated_regions() -> list[str]:
    """Regions the simulated world can run in: botocore lists both Directory Service and
    WorkSpaces there (moto builds its backends from the same lists)."""
    return sorted(set(known_regions("ds")) & set(known_regions("workspaces")))


def region_problem(region: str, *, simulated: bool, allow_unknown: bool = False) -> tuple[str | None, str | None]:
    """``(error, warning)`` for a Region name in a profile; both None when it is fine.

    ``simulated``: the simulated world must simulate it (:func:`simulated_regions`).
    Otherwise a Region botocore lists for Directory Service is fine; an unknown name
    fitting a known partition is a warning, one fitting none an error unless
    ``allow_unknown``.
    """
    version = botocore_version()
    if simulated:
        can = simulated_regions()
        if region in can:
            return None, None
        near = None if region in all_regions() else closest(region, can)  # a real Region is no typo
        hint = f" (did you mean {near!r}?)" if near and near != region else ""
        if region in known_regions("ds"):
            why = (f"is a Region where WorkSpaces is not offered (botocore {version}), so the simulated world "
                   "cannot build its WorkSpaces there")
        elif region in all_regions():
            why = f"is a Region where Directory Service is not offered (botocore {version}), so it cannot be simulated"
        else:
            why = ("is not a Region where the simulated world can run: the simulation knows the Regions botocore "
                   f"{version} lists for Directory Service and WorkSpaces")
        return (f"{region!r} {why}{hint}. Use a Region with both Directory Service and WorkSpaces, "
                "e.g. us-gov-west-1 (in live mode any Region can be checked)."), None
    if region in known_regions("ds"):
        return None, None
    near = closest(region)
    hint = f" (did you mean {near!r}?)" if near and near != region else ""
    if region in all_regions():
        return None, (f"{region!r} is an AWS Region where botocore {version} lists no Directory Service endpoint: "
                      "AD Connector is probably not offered there")
    if partition_of(region) or allow_unknown:
        return None, (f"{region!r} is not a Region botocore {version} knows{hint}: if it is a typing error, fix it; "
                      "if it is a Region newer than botocore, update boto3 and botocore "
                      "(.venv/bin/pip install -U boto3) to silence this warning")
    return (f"{region!r} is not an AWS Region: it fits no partition botocore {version} knows{hint}. If it is a "
            "Region of a partition newer than botocore, update boto3 and botocore, or set "
            "allow_unknown_region = true in [aws]."), None
