"""An AWS environment: simulated (moto in-process, or a moto HTTP server on
127.0.0.1), an AWS-compatible endpoint, or live AWS.

* Clients are created once per (service, region) and reused: a new boto3 client costs
  50-250 ms, which would dominate a suite of small read-only scenarios.
* Every API call is recorded (operation, parameters, HTTP status, response or error,
  duration) with secrets removed, so scenarios can attach what they asked AWS.
* Live AWS is read-only: a botocore ``before-parameter-build`` hook refuses every
  operation that is not a Describe/List/Get, unless the user allowed changes for one
  named sandbox directory and the call targets that directory. The hook runs before
  anything is signed or sent.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import urlparse

from ..errors import ChangeRefused, EnvironmentProblem
from ..report.redact import redact

READ_ONLY_PREFIXES = ("Describe", "List", "Get")
SIMULATED_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
MOTO_ACCOUNT_ID = "123456789012"


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_ONLY_PREFIXES)


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ApiCall:
    service: str
    region: str
    operation: str
    params: dict[str, Any]
    http_status: int | None = None
    response: Any = None
    error_code: str | None = None
    raw_body_length: int | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return redact({
            "service": self.service,
            "region": self.region,
            "operation": self.operation,
            "request": self.params,
            "http_status": self.http_status,
            "error_code": self.error_code,
            "raw_body_length": self.raw_body_length,
            "response": self.response,
            "seconds": round(self.seconds, 4),
        })


class CallRecorder:
    """Keeps the API calls; scenarios take the calls made since a mark."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self._lock = threading.Lock()

    def mark(self) -> int:
        return len(self.calls)

    def since(self, mark: int) -> list[ApiCall]:
        return self.calls[mark:]

    def add(self, call: ApiCall) -> None:
        with self._lock:
            self.calls.append(call)


#: WorkSpaces operations whose effect stays on the directory and WorkSpaces they name; only
#: these can be allowed for the sandbox by WorkSpace ID (operations that create resources
#: elsewhere in the account, images, bundles, standby WorkSpaces, are never allowed).
WORKSPACES_SANDBOX_OPERATIONS = frozenset({
    "ModifyWorkspaceProperties", "ModifyWorkspaceAccessProperties", "ModifyWorkspaceState",
    "ModifyWorkspaceCreationProperties", "ModifySelfservicePermissions", "ModifyClientProperties",
    "RebootWorkspaces", "RebuildWorkspaces", "RestoreWorkspace", "StartWorkspaces", "StopWorkspaces",
    "CreateTags", "DeleteTags",
})


def workspaces_targets(params: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    """The resources a WorkSpaces call names: directory IDs (``DirectoryId``, a ``ResourceId``
    of a directory), WorkSpace IDs (``WorkspaceId``, a ``ResourceId`` of a WorkSpace) and
    any other ``ResourceId`` (images, bundles, IP groups...), found at any depth (batch
    calls list them: ``TerminateWorkspaceRequests[].WorkspaceId``, ``Workspaces[].DirectoryId``)."""
    directories: set[str] = set()
    workspaces: set[str] = set()
    others: set[str] = set()

    def visit(obj: Any) -> None:
        if isinstance(obj, dict):
            for key, value in obj.items():
                if isinstance(value, str) and key in ("DirectoryId", "WorkspaceId", "ResourceId"):
                    if key == "DirectoryId" or (key == "ResourceId" and value.startswith(("d-", "wsd-"))):
                        directories.add(value)
                    elif key == "WorkspaceId" or value.startswith("ws-"):
                        workspaces.add(value)
                    else:
                        others.add(value)
                else:
                    visit(value)
        elif isinstance(obj, list):
            for item in obj:
                visit(item)

    visit(params)
    return directories, workspaces, others


@dataclass
class WriteGuard:
    """Refuses mutating calls on live AWS outside the allowed sandbox directory.

    A call is allowed when its ``DirectoryId`` is the sandbox. A WorkSpaces call of
    ``WORKSPACES_SANDBOX_OPERATIONS`` is also allowed when every resource it names is the
    sandbox directory or a WorkSpace of it:
    ``workspace_directories(region, ids)`` (set by the environment) looks the WorkSpaces'
    directories up with a read-only DescribeWorkspaces; an ID it cannot place, or a
    resource of another kind, is refused.
    """

    enforced: bool
    allowed_directory: str | None = None
    refused: list[str] = field(default_factory=list)
    workspace_directories: Any = None  # Callable[[str | None, list[str]], dict[str, str]]

    def _sandbox_workspaces_call(self, params: dict[str, Any], region: str | None) -> tuple[bool, str]:
        directories, workspaces, others = workspaces_targets(params)
        if others:
            return False, f"resources other than the sandbox's directory and WorkSpaces ({', '.join(sorted(others))})"
        if not directories and not workspaces:
            return False, "no directory or WorkSpace"
        wrong = sorted(d for d in directories if d != self.allowed_directory)
        if wrong:
            return False, f"directory {', '.join(wrong)}"
        if workspaces:
            if self.workspace_directories is None:
                return False, f"WorkSpaces {', '.join(sorted(workspaces))} (their directory cannot be looked up)"
            owners = self.workspace_directories(region, sorted(workspaces))
            outside = sorted(w for w in workspaces if owners.get(w) != self.allowed_directory)
            if outside:
                where = ", ".join(f"{w} ({owners.get(w) or 'not found'})" for w in outside)
                return False, f"WorkSpaces outside the sandbox directory: {where}"
        return True, ""

    def check(self, service: str, operation: str, params: dict[str, Any], region: str | None = None) -> None:
        if not self.enforced or is_read_only(operation):
            return
        target = params.get("DirectoryId")
        if self.allowed_directory and target == self.allowed_directory:
            return
        targets = f"{target or 'no directory'}"
        if self.allowed_directory and service == "workspaces" and operation in WORKSPACES_SANDBOX_OPERATIONS:
            allowed, targets = self._sandbox_workspaces_call(params, region)
            if allowed:
                return
        self.refused.append(f"{service}:{operation}")
        if self.allowed_directory:
            why = (
                f"changes are allowed only for the sandbox directory {self.allowed_directory}, "
                f"and this call targets {targets}"
            )
        else:
            why = "live AWS is read-only unless you pass --allow-aws-changes DIRECTORY_ID naming a sandbox directory"
        raise ChangeRefused(f"refused {service} {operation} on live AWS: {why}.")


class AwsEnvironment:
    """One AWS side for a whole run. Use as a context manager or call start/stop."""

    def __init__(
        self,
        mode: str,
        region: str,
        *,
        endpoint_url: str = "",
        allow_changes_for: str | None = None,
        profile_name: str | None = None,
    ):
        if mode not in ("embedded", "server", "endpoint", "live"):
            raise ValueError(f"unknown AWS mode {mode!r}")
        self.mode = mode
        self.region = region
        self.endpoint_url = endpoint_url or None
        self.profile_name = profile_name
        self.recorder = CallRecorder()
        real_aws = mode == "live" or (mode == "endpoint" and not _is_loopback(endpoint_url))
        self.guard = WriteGuard(enforced=real_aws, allowed_directory=allow_changes_for,
                                workspace_directories=self._workspace_directories)
        self._clients: dict[tuple[str, str], Any] = {}
        self._mock = None
        self._server = None
        self._session = None
        self.started = False

    # --- lifecycle ---------------------------------------------------------------
    @property
    def simulated(self) -> bool:
        return self.mode in ("embedded", "server")

    @property
    def real_aws(self) -> bool:
        return self.guard.enforced

    def start(self) -> "AwsEnvironment":
        import boto3

        if self.started:
            return self
        if self.simulated:
            from .moto_ext import install

            install()
            # moto must never see (or send) real credentials
            for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
                os.environ.pop(var, None)
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
            # moto's EC2 model otherwise makes ~2,600 public AMIs with their snapshots and
            # volumes in every Region it touches; nothing here uses an AMI (about 1 s a run)
            os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        if self.mode == "embedded":
            from moto import mock_aws

            self._mock = mock_aws()
            self._mock.start()
        elif self.mode == "server":
            from .moto_ext.server import start_server

            self._server, self.endpoint_url = start_server()
        if self.simulated:
            self._session = boto3.Session(region_name=self.region, **SIMULATED_CREDENTIALS)
        else:
            try:
                self._session = boto3.Session(profile_name=self.profile_name, region_name=self.region)
            except Exception as exc:  # botocore.exceptions.ProfileNotFound and friends
                raise EnvironmentProblem(f"cannot set up AWS credentials: {exc}") from None
        self.started = True
        return self

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._clients.clear()
        self.started = False

    def __enter__(self) -> "AwsEnvironment":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- clients -----------------------------------------------------------------
    def client(self, service: str, region: str | None = None):
        region = region or self.region
        key = (service, region)
        if key not in self._clients:
            if not self.started:
                self.start()
            from botocore.config import Config

            cfg = Config(retries={"max_attempts": 2 if self.simulated else 5, "mode": "standard"},
                         connect_timeout=5, read_timeout=30)
            cl = self._session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=cfg)
            self._instrument(cl, service, region)
            self._clients[key] = cl
        return self._clients[key]

    def _instrument(self, client, service: str, region: str) -> None:
        local = threading.local()

        def before(params, model, **_kw):
            self.guard.check(service, model.name, params, region)
            call = ApiCall(service, region, model.name, dict(params))
            call.seconds = time.perf_counter()
            local.call = call

        def after(http_response, parsed, model, **_kw):
            call = getattr(local, "call", None)
            if call is None or call.operation != model.name:
                return
            call.seconds = time.perf_counter() - call.seconds
            call.http_status = getattr(http_response, "status_code", None)
            content = getattr(http_response, "content", b"") or b""
            call.raw_body_length = len(content)
            body = dict(parsed or {})
            body.pop("ResponseMetadata", None)
            err = body.pop("Error", None)
            if err:
                call.error_code = err.get("Code")
                call.response = {"Error": err}
            else:
                call.response = body
            self.recorder.add(call)
            local.call = None

        # The emitter is per client; "*.*" matches every operation. The guard is
        # registered first so that no other handler (a stubber, a plugin) runs before it.
        client.meta.events.register_first("before-parameter-build.*.*", before)
        client.meta.events.register("after-call.*.*", after)

    def _workspace_directories(self, region: str | None, workspace_ids: list[str]) -> dict[str, str]:
        """WorkSpace ID -> its directory ID, read with DescribeWorkspaces (read-only; 25 IDs a call)."""
        ws = self.client("workspaces", region)
        owners: dict[str, str] = {}
        for start in range(0, len(workspace_ids), 25):
            found = ws.describe_workspaces(WorkspaceIds=workspace_ids[start:start + 25]).get("Workspaces", [])
            owners.update({w["WorkspaceId"]: w.get("DirectoryId", "") for w in found})
        return owners

    def calls_since(self, mark: int) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.recorder.since(mark)]

    # --- simulated-only access to the service's state -------------------------------
    def ds_backend(self, region: str | None = None):
        """The moto Directory Service backend (simulated worlds only)."""
        if not self.simulated:
            raise RuntimeError("the service's state can be reached only in a simulated world")
        from moto.ds.models import ds_backends

        return ds_backends[MOTO_ACCOUNT_ID][region or self.region]

    def ec2_backend(self, region: str | None = None):
        """The moto EC2 backend (simulated worlds only): the network a directory needs."""
        if not self.simulated:
            raise RuntimeError("the service's state can be reached only in a simulated world")
        from moto.ec2.models import ec2_backends

        return ec2_backends[MOTO_ACCOUNT_ID][region or self.region]


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    resp = getattr(exc, "response", None)
    if isinstance(resp, dict):
        return resp.get("Error", {}).get("Code")
    return None


@contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """Turn transport errors into an EnvironmentProblem that says what failed."""
    from botocore.exceptions import BotoCoreError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise EnvironmentProblem(
            f"{what}: no AWS credentials found. Configure them as for the AWS CLI "
            "(aws configure, AWS_PROFILE, or an instance role), or use --aws embedded."
        ) from None
    except BotoCoreError as exc:
        raise EnvironmentProblem(f"{what}: {exc}") from None
