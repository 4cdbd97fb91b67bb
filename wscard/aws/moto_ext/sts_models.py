"""STS: AssumeRole refuses a role that does not exist, as AWS does.

moto 5.2's ``STSBackend.assume_role`` hands out credentials for any role ARN ("the role
does not need to exist"); AWS answers ``AccessDenied`` (HTTP 403): "User: <caller> is not
authorized to perform: sts:AssumeRole on resource: <role ARN>", which is also what a
missing trust policy gives (AWS does not tell the two apart). The fleet audit must see
that answer for an account where the audit role is missing, so ``install_sts()`` wraps
moto's method while ``config.assume_role_needs_role`` is True (the default).

Source: AWS STS API reference, AssumeRole, Errors; IAM user guide, "Troubleshooting IAM
roles" ("I can't assume a role": the role must exist and trust the caller).

moto picks the account of a request from its access key (``moto.iam.models.get_account_id_from``:
the IAM backend that holds the key), and an assumed role's temporary key is created in
the IAM backend of the account named in the role ARN: requests signed with it act in that
account, so each member account has its own Directory Service and WorkSpaces backends.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from moto.sts.exceptions import STSClientError

ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::([0-9]{12}):role/(?:.*/)?([^/]+)$")


class AccessDenied(STSClientError):
    code = 403

    def __init__(self, message: str):
        super().__init__("AccessDenied", message)


def refine_assume_role(assume_role: Any) -> Any:
    @functools.wraps(assume_role)
    def wrapped(self: Any, region_name: str, role_session_name: str, role_arn: str, *args: Any, **kwargs: Any) -> Any:
        from moto.iam.models import iam_backends

        from .ds_models import config

        if config.assume_role_needs_role:
            match = ROLE_ARN.match(role_arn or "")
            exists = False
            if match:
                partition, account, name = match.groups()
                try:
                    exists = any(r.name == name for r in iam_backends[account][partition].roles.values())
                except KeyError:
                    exists = False
            if not exists:
                caller = f"arn:aws:iam::{self.account_id}:user/moto"
                raise AccessDenied(f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
        return assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs)

    wrapped.wscard_refined = True  # type: ignore[attr-defined]
    return wrapped


def install_sts() -> None:
    """Wrap moto's AssumeRole once (idempotent)."""
    import warnings

    from moto.sts.models import STSBackend

    # moto's serializer warns that AccessDenied is not among STS's modeled errors: AWS's
    # common errors (AccessDenied among them) are not in the service models.
    warnings.filterwarnings("ignore", message=r"Exception\(AccessDenied\) with code AccessDenied")
    if not getattr(STSBackend.assume_role, "wscard_refined", False):
        STSBackend.assume_role = refine_assume_role(STSBackend.assume_role)
