"""An AWS environment: simulated (moto in-process, or a moto HTTP server on
127.0.0.1), an AWS-compatible endpoint, or live AWS.

* Clients are created once per (service, region) and reused: a new boto3 client costs
  50-250 ms, which would dominate a suite of small read-only scenarios.
* Every API call is recorded (operation, parameters, HTTP status, response or error,
  duration) with secrets removed, so scenarios can attach what they asked AWS.
* Live AWS is read-only: a botocore ``before-parameter-build`` hook refuses every
  operation that is not a Describe/List/Get, except the procedure scenarios' own calls
  (:data:`SANDBOX_OPERATIONS`) on the one sandbox directory the user named with
  ``--allow-aws-changes``. The hook runs before anything is built, signed or sent.
* An endpoint (``--aws http://...``) is guarded like live AWS, whatever its address (a
  port-forward on 127.0.0.1 may reach real AWS), unless the user says it is a simulation
  (``--simulated-endpoint``, ``[aws].endpoint_simulated``). The moto server the harness
  starts itself (mode ``server``) is not guarded.
"""

from __future__ import annotations

import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..errors import ChangeRefused, EnvironmentProblem
from ..report.redact import redact

READ_ONLY_PREFIXES = ("Describe", "List", "Get")
_READ_ONLY = re.compile(f"({'|'.join(READ_ONLY_PREFIXES)})[A-Z]")
SIMULATED_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def simulated_session(region: str) -> Any:
    """A ``boto3.Session`` for a simulated world (``region``: a Region name), with the
    simulated credentials and the process's one botocore data loader
    (:func:`wscard.aws.botocore_data.shared_loader`: ``endpoints.json`` and each service's
    model read once a process; the self-test's fork server, wscard.selftest, warms it once
    for every run it forks). In a harness run every other session shares it too (the
    harness plug-in calls :func:`~wscard.aws.botocore_data.share_across_sessions` at
    start), except one given a data path of its own."""
    import boto3
    import botocore.session

    from .botocore_data import shared_loader

    core = botocore.session.get_session()
    core.register_component("data_loader", shared_loader())
    return boto3.Session(botocore_session=core, region_name=region, **SIMULATED_CREDENTIALS)


MOTO_ACCOUNT_ID = "123456789012"


#: Operations that change no resource although their names do not say so: AssumeRole
#: only hands out temporary credentials of a role (the fleet audit reaches each account
#: through it; the calls made with them go through this same guard).
READ_ONLY_OPERATIONS = {"sts": frozenset({"AssumeRole"})}


def is_read_only(operation: str, service: str = "") -> bool:
    """A Describe*, List* or Get* operation (the AWS naming convention for reads; checked
    for Directory Service and WorkSpaces by tests/unit/test_aws_guard.py), or one of
    :data:`READ_ONLY_OPERATIONS`. Anything else counts as mutating, including verbs that
    look harmless (VerifyTrust, Check*...)."""
    return bool(_READ_ONLY.match(operation)) or operation in READ_ONLY_OPERATIONS.get(service, ())


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
    #: The account the call was made in ("" for the environment's own credentials).
    account: str = ""

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
            **({"account": self.account} if self.account else {}),
        })


class CallRecorder:
    """Keeps the API calls; scenarios take the calls made since a mark."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self._lock = threading.Lock()
        #: False: keep each call's operation, status and error but not the answer's body
        #: (a fleet audit reads hundreds of thousands of items; they are in its snapshots).
        self.keep_responses = True

    def mark(self) -> int:
        return len(self.calls)

    def since(self, mark: int) -> list[ApiCall]:
        return self.calls[mark:]

    def add(self, call: ApiCall) -> None:
        with self._lock:
            self.calls.append(call)


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


@dataclass(frozen=True)
class SandboxOperation:
    """A mutating operation the procedure scenarios call on the live sandbox, and what
    binds it there. ``target``: the parameter that must name the sandbox directory
    (``DirectoryId``, ``ResourceId``) or one of its WorkSpaces (``WorkspaceId``);
    ``parameters``: every parameter the call may carry (any other is refused);
    ``fixed``: parameters that must have exactly these values; ``own_certificate``: the
    ``CertificateId`` must be one this run registered on the sandbox."""

    service: str
    operation: str
    target: str
    parameters: frozenset[str]
    fixed: tuple[tuple[str, str], ...] = ()
    own_certificate: bool = False
    why: str = ""
    #: structure parameters and the members they may hold (any other member is refused:
    #: ModifyWorkspaceProperties may change the protocol, not the volumes or the bundle)
    members: tuple[tuple[str, frozenset[str]], ...] = ()


#: The allow-list: exactly the mutating calls of the procedure scenarios
#: (``wscard.aws.procedure.Sandbox`` and ``wscard.aws.workspaces.WorkspacesSandbox``), each
#: bound to the sandbox directory named with ``--allow-aws-changes``. Every other mutating
#: operation of every service is refused, on the sandbox too (DeleteDirectory,
#: ShareDirectory, CreateLogSubscription, ...).
#: WorkspaceAccessProperties members: the device types (botocore's workspaces model).
DEVICE_TYPE_MEMBERS = frozenset({
    "DeviceTypeWindows", "DeviceTypeOsx", "DeviceTypeWeb", "DeviceTypeIos", "DeviceTypeAndroid",
    "DeviceTypeChromeOs", "DeviceTypeZeroClient", "DeviceTypeLinux", "DeviceTypeWorkSpacesThinClient"})

SANDBOX_OPERATIONS: dict[tuple[str, str], SandboxOperation] = {
    (o.service, o.operation): o for o in (
        SandboxOperation("ds", "RegisterCertificate", "DirectoryId",
                         frozenset({"DirectoryId", "CertificateData", "Type", "ClientCertAuthSettings"}),
                         fixed=(("Type", "ClientCertAuth"),), members=(("ClientCertAuthSettings", frozenset({"OCSPUrl"})),),
                         why="S-ENABLE step 2, CA-1..CA-3, CA-5..CA-7"),
        SandboxOperation("ds", "DeregisterCertificate", "DirectoryId", frozenset({"DirectoryId", "CertificateId"}),
                         own_certificate=True, why="CA-4, and putting the sandbox back"),
        SandboxOperation("ds", "EnableClientAuthentication", "DirectoryId", frozenset({"DirectoryId", "Type"}),
                         why="S-ENABLE step 3, AUTH-1..AUTH-3"),
        SandboxOperation("ds", "DisableClientAuthentication", "DirectoryId", frozenset({"DirectoryId", "Type"}),
                         why="S-MANAGE, and putting the sandbox back"),
        SandboxOperation("workspaces", "ModifyWorkspaceAccessProperties", "ResourceId",
                         frozenset({"ResourceId", "WorkspaceAccessProperties"}),
                         members=(("WorkspaceAccessProperties", DEVICE_TYPE_MEMBERS),), why="CLIENT device access"),
        SandboxOperation("workspaces", "ModifyWorkspaceProperties", "WorkspaceId",
                         frozenset({"WorkspaceId", "WorkspaceProperties"}),
                         members=(("WorkspaceProperties", frozenset({"Protocols"})),), why="WSP-1 protocol"),
    )
}


@dataclass
class WriteGuard:
    """Refuses mutating calls to real AWS (live, or an endpoint the harness did not start)
    except the procedure scenarios' own calls on the allowed sandbox directory.

    A read (:func:`is_read_only`) always passes. A mutating call passes only when
    ``allowed_directory`` is set, the operation is in :data:`SANDBOX_OPERATIONS`, its target
    parameter names the sandbox (a WorkSpace's directory is looked up with a read-only
    DescribeWorkspaces through ``workspace_directories(region, ids)``, set by the
    environment), it carries no other parameter than the listed ones, its fixed values
    match, and a certificate it deregisters is one this run registered there
    (:meth:`record` keeps them). Anything else raises :class:`ChangeRefused` before the
    request is built, signed or sent.
    """

    enforced: bool
    allowed_directory: str | None = None
    refused: list[str] = field(default_factory=list)
    workspace_directories: Any = None  # Callable[[str | None, list[str]], dict[str, str]]
    #: CertificateIds this run registered on the sandbox (DeregisterCertificate may remove only these).
    registered_certificates: set[str] = field(default_factory=set)
    #: The endpoint URL when guarding an endpoint rather than live AWS (named in refusals).
    endpoint: str | None = None

    def _binding_problem(self, rule: SandboxOperation, params: dict[str, Any], region: str | None) -> str | None:
        """Why this allow-listed call is not bound to the sandbox (None: it is)."""
        extra = sorted(set(params) - rule.parameters)
        if extra:
            return f"parameters the procedure does not use ({', '.join(extra)})"
        for key, value in rule.fixed:
            if params.get(key) != value:
                return f"{key} {params.get(key)!r} (the procedure uses {value!r})"
        for key, allowed_members in rule.members:
            value = params.get(key)
            extra_members = sorted(set(value) - allowed_members) if isinstance(value, dict) else []
            if extra_members:
                return f"{key} members the procedure does not change ({', '.join(extra_members)})"
        target = params.get(rule.target)
        if not isinstance(target, str) or not target:
            return f"no {rule.target}"
        if rule.target == "WorkspaceId":
            if self.workspace_directories is None:
                return f"WorkSpace {target} (its directory cannot be looked up)"
            owner = self.workspace_directories(region, [target]).get(target)
            if owner != self.allowed_directory:
                return f"WorkSpaces outside the sandbox directory: {target} ({owner or 'not found'})"
        elif target != self.allowed_directory:
            return f"directory {target}"
        if rule.own_certificate and params.get("CertificateId") not in self.registered_certificates:
            return (f"certificate {params.get('CertificateId')}, which this run did not register "
                    "(only the procedure's own registrations may be removed)")
        return None

    def check(self, service: str, operation: str, params: dict[str, Any], region: str | None = None) -> None:
        """Raise :class:`ChangeRefused` unless this call may be sent (see the class)."""
        if not self.enforced or is_read_only(operation, service):
            return
        rule = SANDBOX_OPERATIONS.get((service, operation))
        if not self.allowed_directory:
            why = "live AWS is read-only unless you pass --allow-aws-changes DIRECTORY_ID naming a sandbox directory"
        elif rule is None:
            allowed = ", ".join(f"{s} {o}" for s, o in SANDBOX_OPERATIONS)
            why = (f"{operation} is not one of the calls the procedure scenarios make ({allowed}); it is refused "
                   f"even on the sandbox directory {self.allowed_directory}")
        else:
            problem = self._binding_problem(rule, params, region)
            if problem is None:
                return
            why = (f"changes are allowed only for the sandbox directory {self.allowed_directory}, "
                   f"and this call targets {problem}")
        self.refused.append(f"{service}:{operation}")
        if self.endpoint:
            raise ChangeRefused(
                f"refused {service} {operation} on the endpoint {self.endpoint}, guarded like live AWS: {why}. "
                "If the endpoint is a simulation you started (wscard moto-server), pass --simulated-endpoint.")
        raise ChangeRefused(f"refused {service} {operation} on live AWS: {why}.")

    def record(self, service: str, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        """Note what a successful call created on the sandbox (RegisterCertificate's ID)."""
        if (self.enforced and service == "ds" and operation == "RegisterCertificate"
                and params.get("DirectoryId") == self.allowed_directory and response.get("CertificateId")):
            self.registered_certificates.add(response["CertificateId"])


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
        endpoint_simulated: bool = False,
    ):
        """``endpoint_simulated``: the endpoint (mode ``endpoint``) is a simulation the user
        started (``wscard moto-server``), so mutating calls are not guarded; otherwise an
        endpoint is guarded like live AWS."""
        if mode not in ("embedded", "server", "endpoint", "live"):
            raise ValueError(f"unknown AWS mode {mode!r}")
        self.mode = mode
        self.region = region
        self.endpoint_url = endpoint_url or None
        self.profile_name = profile_name
        self.recorder = CallRecorder()
        guarded = mode == "live" or (mode == "endpoint" and not endpoint_simulated)
        self.guard = WriteGuard(enforced=guarded, allowed_directory=allow_changes_for,
                                endpoint=self.endpoint_url if mode == "endpoint" else None,
                                workspace_directories=self._workspace_directories)
        self._clients: dict[tuple[str, str], Any] = {}
        #: Clients of other sessions (the fleet's assumed roles): (account, service, region) -> client.
        self._account_clients: dict[tuple[str, str, str], Any] = {}
        self._clients_lock = threading.Lock()
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
            self._session = simulated_session(self.region)
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
        self._account_clients.clear()
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

    @property
    def session(self):
        """The boto3 session of the environment's own credentials (started on first use)."""
        if not self.started:
            self.start()
        return self._session

    def session_client(self, session, service: str, region: str, *, account: str,
                       retry_mode: str = "adaptive", max_attempts: int = 8, pool: int = 10):
        """A client of another boto3 or botocore session (an assumed role in ``account``), made once per
        (account, service, region) and reused, with the same write guard and call recording
        as :meth:`client` (the guard is registered before any other handler). ``retry_mode``
        is botocore's (``adaptive``: client-side rate limiting on throttling errors, then
        retries with back-off); ``pool`` is the client's HTTP connection pool size."""
        key = (account, service, region)
        with self._clients_lock:
            if key not in self._account_clients:
                from botocore.config import Config

                cfg = Config(retries={"max_attempts": max_attempts, "mode": retry_mode},
                             connect_timeout=5, read_timeout=30, max_pool_connections=pool)
                make = session.client if hasattr(session, "client") else session.create_client  # boto3 or botocore
                cl = make(service, region_name=region, endpoint_url=self.endpoint_url, config=cfg)
                self._instrument(cl, service, region, account)
                self._account_clients[key] = cl
            return self._account_clients[key]

    def _instrument(self, client, service: str, region: str, account: str = "") -> None:
        local = threading.local()

        def before(params, model, **_kw):
            self.guard.check(service, model.name, params, region)
            call = ApiCall(service, region, model.name, dict(params), account=account)
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
                call.response = body if self.recorder.keep_responses else None
                self.guard.record(service, model.name, call.params, body)
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
