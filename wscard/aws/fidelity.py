"""The simulated AWS held to AWS's own API models (botocore's service models).

The moto extension (``wscard.aws.moto_ext``) is the ground every AWS check is tested on,
and the same checks run against real AWS in live mode, so what it answers must be
something AWS can answer.  This module judges recorded request/response exchanges against
the service model that botocore ships (``botocore/data/<service>/<version>/service-2.json``,
the machine-readable API definitions AWS publishes):

* **inputs** (:func:`check_input`): botocore's own ``ParamValidator`` (required members,
  types, minimum lengths and values), plus what it leaves out: enums, patterns, maximum
  lengths and values, unknown members;
* **successful outputs** (:func:`check_output`): the raw body on the wire, walked against
  the operation's output shape: no member the shape lacks, every required member, JSON
  types, enums, patterns (``re.search``, as Smithy patterns are unanchored), lengths and
  ranges, timestamps as the protocol puts them (epoch seconds in ``json``), blobs in
  base64, ``{}`` for an operation without output members;
* **errors** (:func:`check_error`): the code is one of the operation's modeled errors or
  a framework error every AWS JSON service can answer (:data:`FRAMEWORK_ERRORS`); a
  modeled error's body has the error shape's members, spelled as modeled (Directory
  Service: ``Message`` and ``RequestId``; WorkSpaces: ``message``), and its status code.

Exchanges are recorded by :class:`ExchangeRecorder`, a botocore event hook on a client, a
boto3 session, or a botocore session (``before-parameter-build`` for what the caller
passed, ``before-parse`` for the raw HTTP answer), which works alike for moto in-process
(``mock_aws``) and a moto server over HTTP.  :func:`shape_summary` and
:func:`diff_shape_summaries` say which shapes a newer botocore changed, against a stored
summary (``tests/data/aws-models/``).

No pytest here; the unit tests (``tests/unit/test_moto_fidelity.py`` and the extension's
own tests) call these functions.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Iterable

#: Errors AWS's service framework answers for any operation of a JSON service, modeled or
#: not (constraint violations, authorization, throttling).
FRAMEWORK_ERRORS: tuple[str, ...] = ("ValidationException", "AccessDeniedException", "ThrottlingException",
                                     # the answer of a JSON service to credentials the Region does not
                                     # know (an opt-in Region the account has not enabled), HTTP 403
                                     "UnrecognizedClientException")

#: The operations the moto extension implements, by botocore service name.
EXTENSION_OPERATIONS: dict[str, tuple[str, ...]] = {
    "ds": (
        "RegisterCertificate", "ListCertificates", "DescribeCertificate", "DeregisterCertificate",
        "EnableClientAuthentication", "DisableClientAuthentication",
        "DescribeClientAuthenticationSettings",
    ),
    "workspaces": ("DescribeWorkspaces", "ModifyWorkspaceAccessProperties", "ModifyWorkspaceProperties"),
}
#: moto's own operations whose answers the harness reads (their outputs are judged too).
HARNESS_READS: dict[str, tuple[str, ...]] = {
    "ds": ("DescribeDirectories",),
    "workspaces": ("DescribeWorkspaceDirectories", "DescribeWorkspaces"),
}


#: Values an output may hold against its shape's constraints because the model's own
#: documentation of the member says so: (structure shape, member) -> (test, reason).
#: Kept short and visible; each is a place where the shape is stricter than the service.
DOCUMENTED_EXCEPTIONS: dict[tuple[str, str], tuple[Any, str]] = {
    ("DirectoryDescription", "Alias"): (
        lambda v: isinstance(v, str) and re.fullmatch(r"d-[0-9a-f]{10}", v) is not None,
        "DirectoryDescription.Alias: 'If no alias exists, the alias is the directory identifier, "
        "such as d-XXXXXXXXXX' (the AliasName pattern refuses d-)",
    ),
    ("DirectoryDescription", "DesiredNumberOfDomainControllers"): (
        lambda v: v == 0,
        "DirectoryDescription.DesiredNumberOfDomainControllers: 'if the directory is Microsoft AD'; "
        "moto answers 0 for other types (the shape's minimum 2 is for Microsoft AD)",
    ),
}


def judged_operations() -> dict[str, tuple[str, ...]]:
    """Service -> operations whose outputs and error codes are held to the model."""
    out: dict[str, tuple[str, ...]] = {}
    for table in (EXTENSION_OPERATIONS, HARNESS_READS):
        for service, ops in table.items():
            out[service] = tuple(dict.fromkeys(out.get(service, ()) + ops))
    return out


@dataclass(frozen=True)
class Problem:
    """One difference from the model: ``path`` is where in the message (``$`` = the body)."""

    service: str
    operation: str
    where: str  # "input", "output" or "error"
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.service} {self.operation} {self.where} {self.path}: {self.problem}"


@dataclass
class Exchange:
    """One request and its raw answer as botocore saw them.

    ``params``: what the caller passed (None if not seen); ``body``: the raw HTTP body
    (bytes); ``protocol``: the protocol botocore used (``json`` on the wire to moto).
    """

    service: str
    operation: str
    params: dict[str, Any] | None
    status: int
    headers: dict[str, str]
    body: bytes
    protocol: str
    label: str = ""

    @property
    def is_error(self) -> bool:
        return self.status >= 300

    def json_body(self) -> Any:
        """The body parsed as JSON (``{}`` for an empty body); raises ValueError."""
        text = self.body.decode("utf-8") if self.body else ""
        return json.loads(text) if text.strip() else {}


# --------------------------------------------------------------------------- models

_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def service_model(service: str) -> Any:
    """botocore's ``ServiceModel`` for ``service`` (``ds``, ``workspaces``), loaded once."""
    with _models_lock:
        if service not in _models:
            import botocore.session

            _models[service] = botocore.session.get_session().get_service_model(service)
        return _models[service]


def botocore_version() -> str:
    import botocore

    return botocore.__version__


# --------------------------------------------------------------------------- the walker

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float))) and not isinstance(value, bool)


def _check_length(shape: Any, size: int, unit: str, path: str, out: list[tuple[str, str]]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        out.append((path, f"{size} {unit}, fewer than the minimum {low} of {shape.name}"))
    if high is not None and size > high:
        out.append((path, f"{size} {unit}, more than the maximum {high} of {shape.name}"))


def walk(shape: Any, value: Any, path: str = "$", *, wire: bool = True,
         timestamp_format: str = "unixTimestamp") -> list[tuple[str, str]]:
    """Every way ``value`` breaks ``shape`` (a botocore ``Shape``), as ``(path, problem)``.

    ``wire=True`` judges a JSON body as it came over the wire (timestamps per
    ``timestamp_format`` unless the shape says otherwise, blobs in base64);
    ``wire=False`` judges Python values a caller passes to boto3 (timestamps may be
    ``datetime``, blobs ``bytes``).  Follows the Smithy constraint traits that botocore
    keeps: ``required``, ``enum``, ``pattern``, ``min``/``max`` (lengths for strings,
    lists and maps, values for numbers), unions; on the wire, the values that
    :data:`DOCUMENTED_EXCEPTIONS` lists pass.
    """
    out: list[tuple[str, str]] = []
    _walk(shape, value, path, wire, timestamp_format, out)
    return out


def _walk(shape: Any, value: Any, path: str, wire: bool, ts_format: str, out: list[tuple[str, str]]) -> None:
    kind = shape.type_name
    if value is None:
        out.append((path, f"null where {shape.name} ({kind}) is expected; AWS leaves an absent member out"))
        return
    if kind == "structure":
        if not isinstance(value, dict):
            out.append((path, f"{type(value).__name__} where the structure {shape.name} is expected"))
            return
        members = shape.members
        for key in value:
            if key not in members:
                near = [m for m in members if m.lower() == str(key).lower()]
                hint = f" (the model spells it {near[0]!r})" if near else ""
                out.append((f"{path}.{key}", f"not a member of {shape.name}{hint}"))
        for key in shape.required_members:
            if key not in value:
                out.append((f"{path}.{key}", f"required member of {shape.name} is missing"))
        if shape.metadata.get("union") and sum(1 for k in value if k in members) > 1:
            out.append((path, f"sets more than one member of the union {shape.name}"))
        for key, item in value.items():
            if key in members:
                exception = DOCUMENTED_EXCEPTIONS.get((shape.name, key))
                if wire and exception is not None and exception[0](item):
                    continue
                _walk(members[key], item, f"{path}.{key}", wire, ts_format, out)
    elif kind == "list":
        if not isinstance(value, (list, tuple)):
            out.append((path, f"{type(value).__name__} where the list {shape.name} is expected"))
            return
        _check_length(shape, len(value), "items", path, out)
        for i, item in enumerate(value):
            _walk(shape.member, item, f"{path}[{i}]", wire, ts_format, out)
    elif kind == "map":
        if not isinstance(value, dict):
            out.append((path, f"{type(value).__name__} where the map {shape.name} is expected"))
            return
        _check_length(shape, len(value), "entries", path, out)
        for key, item in value.items():
            _walk(shape.key, key, f"{path}<key {key!r}>", wire, ts_format, out)
            _walk(shape.value, item, f"{path}[{key!r}]", wire, ts_format, out)
    elif kind == "string":
        if not isinstance(value, str):
            out.append((path, f"{type(value).__name__} {value!r} where the string {shape.name} is expected"))
            return
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            out.append((path, f"{value!r} is not a value of the enum {shape.name} ({', '.join(enum)})"))
        pattern = shape.metadata.get("pattern")
        if pattern:
            try:
                matched = re.search(pattern, value, re.DOTALL) is not None
            except re.error:  # an ECMA construct Python lacks: not judged
                matched = True
            if not matched:
                out.append((path, f"{_short(value)!r} does not match the pattern {pattern} of {shape.name}"))
        _check_length(shape, len(value), "characters", path, out)
    elif kind in ("integer", "long"):
        if not _is_int(value):
            out.append((path, f"{type(value).__name__} {value!r} where the {kind} {shape.name} is expected"))
            return
        _check_range(shape, value, path, out)
    elif kind in ("double", "float"):
        if not _is_number(value):
            out.append((path, f"{type(value).__name__} {value!r} where the {kind} {shape.name} is expected"))
            return
        _check_range(shape, value, path, out)
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append((path, f"{type(value).__name__} {value!r} where the boolean {shape.name} is expected"))
    elif kind == "timestamp":
        _check_timestamp(shape, value, path, wire, ts_format, out)
    elif kind == "blob":
        if wire:
            if not isinstance(value, str):
                out.append((path, f"{type(value).__name__} where base64 text ({shape.name}) is expected"))
            else:
                try:
                    base64.b64decode(value, validate=True)
                except ValueError:
                    out.append((path, f"not base64 ({shape.name})"))
        elif not isinstance(value, (bytes, bytearray, str)) and not hasattr(value, "read"):
            out.append((path, f"{type(value).__name__} where bytes ({shape.name}) are expected"))
    # other kinds (document, event streams) are not used by the operations judged here


def _check_range(shape: Any, value: Any, path: str, out: list[tuple[str, str]]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        out.append((path, f"{value} is below the minimum {low} of {shape.name}"))
    if high is not None and value > high:
        out.append((path, f"{value} is above the maximum {high} of {shape.name}"))


def _check_timestamp(shape: Any, value: Any, path: str, wire: bool, ts_format: str,
                     out: list[tuple[str, str]]) -> None:
    from datetime import datetime

    fmt = shape.serialization.get("timestampFormat", ts_format)
    if not wire:
        if not isinstance(value, (datetime, str)) and not _is_number(value):
            out.append((path, f"{type(value).__name__} where a timestamp ({shape.name}) is expected"))
        return
    if fmt == "unixTimestamp":
        if not _is_number(value):
            out.append((path, f"{type(value).__name__} {_short(value)!r} on the wire where {shape.name} is "
                              "epoch seconds (a JSON number)"))
    elif fmt == "iso8601":
        if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value):
            out.append((path, f"{_short(value)!r} where {shape.name} is an ISO 8601 date-time"))
    elif not isinstance(value, str):
        out.append((path, f"{_short(value)!r} where {shape.name} is an {fmt} date"))


def _short(value: Any, limit: int = 80) -> Any:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# --------------------------------------------------------------------------- judging

def _problems(service: str, operation: str, where: str, found: Iterable[tuple[str, str]]) -> list[Problem]:
    return [Problem(service, operation, where, path, problem) for path, problem in found]


def check_input(service: str, operation: str, params: dict[str, Any]) -> list[Problem]:
    """Every way ``params`` (as passed to boto3) break the operation's input shape.

    botocore's ``ParamValidator`` first (its messages, under path ``$``), then the
    constraints it does not check (enums, patterns, maxima, unknown members).
    """
    from botocore.validate import ParamValidator

    op = service_model(service).operation_model(operation)
    shape = op.input_shape
    if shape is None:
        return [] if not params else [Problem(service, operation, "input", "$", "the operation takes no input")]
    report = ParamValidator().validate(params, shape)
    found: list[tuple[str, str]] = []
    if report.has_errors():
        found += [("$", line.strip()) for line in report.generate_report().splitlines()[1:] if line.strip()]
    seen = {p for _, p in found}
    for path, problem in walk(shape, params, wire=False):
        if problem not in seen:
            found.append((path, problem))
    return _problems(service, operation, "input", found)


def check_output(service: str, operation: str, body: Any) -> list[Problem]:
    """Every way a successful raw JSON ``body`` breaks the operation's output shape."""
    op = service_model(service).operation_model(operation)
    shape = op.output_shape
    if shape is None or not shape.members:
        if body not in ({}, None):
            return [Problem(service, operation, "output", "$",
                            f"the operation has no output members, so the body is {{}}; got {_short(body)!r}")]
        return []
    return _problems(service, operation, "output", walk(shape, body, wire=True))


def error_code_of(exchange: Exchange, body: Any) -> str | None:
    """The error code: the body's ``__type`` (after any ``#``), else ``x-amzn-ErrorType``."""
    code = body.get("__type") if isinstance(body, dict) else None
    if not code:
        header = {k.lower(): v for k, v in exchange.headers.items()}.get("x-amzn-errortype", "")
        code = header.split(":")[0] or None
    return code.split("#")[-1] if code else None


def allowed_error_codes(service: str, operation: str) -> tuple[str, ...]:
    """The operation's modeled errors, then :data:`FRAMEWORK_ERRORS`."""
    op = service_model(service).operation_model(operation)
    return tuple(dict.fromkeys([e.name for e in op.error_shapes] + list(FRAMEWORK_ERRORS)))


def check_error(service: str, operation: str, exchange: Exchange) -> list[Problem]:
    """Judge an error answer: the code, the body's members and the HTTP status.

    A framework error that the operation does not model is judged on its code only (its
    shape is the framework's, not in the service model).
    """
    found: list[tuple[str, str]] = []
    try:
        body = exchange.json_body()
    except ValueError:
        return _problems(service, operation, "error", [("$", "the error body is not JSON")])
    code = error_code_of(exchange, body)
    if code is None:
        return _problems(service, operation, "error", [("$", "the error names no code (__type)")])
    allowed = allowed_error_codes(service, operation)
    if code not in allowed:
        found.append(("$.__type", f"{code} is neither a modeled error of {operation} "
                                  f"({', '.join(a for a in allowed if a not in FRAMEWORK_ERRORS)}) "
                                  f"nor a framework error ({', '.join(FRAMEWORK_ERRORS)})"))
        return _problems(service, operation, "error", found)
    model = service_model(service)
    modeled = {e.name: e for e in model.operation_model(operation).error_shapes}
    shape = modeled.get(code)
    if shape is None:  # a framework error the operation does not model
        if not 400 <= exchange.status < 600:
            found.append(("status", f"HTTP {exchange.status} for the error {code}"))
        return _problems(service, operation, "error", found)
    status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
    if exchange.status != status:
        found.append(("status", f"HTTP {exchange.status}; the model gives {code} HTTP {status}"))
    members = {k: v for k, v in body.items() if k != "__type"} if isinstance(body, dict) else {}
    found += walk(shape, members, "$", wire=True)
    message = [m for m in shape.members if m.lower() == "message"]
    if message and message[0] not in members:
        found.append((f"$.{message[0]}", f"the error shape {code} has the member {message[0]!r}; the body lacks it"))
    if "RequestId" in shape.members:
        if "RequestId" not in members:
            found.append(("$.RequestId", f"the error shape {code} carries RequestId; the body lacks it"))
        else:
            header = {k.lower(): v for k, v in exchange.headers.items()}.get("x-amzn-requestid")
            if header and members["RequestId"] != header:
                found.append(("$.RequestId", f"{members['RequestId']!r} differs from the x-amzn-RequestId header {header!r}"))
    return _problems(service, operation, "error", found)


def check_exchange(exchange: Exchange, *, judge_input: bool = False,
                   operations: dict[str, tuple[str, ...]] | None = None) -> list[Problem]:
    """Judge one exchange: its output or error (for the judged operations), and

    * with ``judge_input``: the request against the input shape (the harness's own
      requests must fit the model);
    * always, for the extension's operations: a request that breaks the input shape must
      not succeed (the service refuses what the model forbids).
    """
    service, operation = exchange.service, exchange.operation
    judged = (operations or judged_operations()).get(service, ())
    problems: list[Problem] = []
    input_problems = check_input(service, operation, exchange.params) if exchange.params is not None else []
    if judge_input:
        problems += input_problems
    if operation not in judged:
        return problems
    if exchange.protocol not in ("json", "rest-json"):
        return problems + [Problem(service, operation, "output", "$",
                                   f"the exchange used the {exchange.protocol} protocol; only JSON is judged")]
    if exchange.is_error:
        problems += check_error(service, operation, exchange)
    else:
        if exchange.status != 200:
            problems.append(Problem(service, operation, "output", "status", f"HTTP {exchange.status} for a success"))
        try:
            body = exchange.json_body()
        except ValueError:
            return problems + [Problem(service, operation, "output", "$", "the body is not JSON")]
        problems += check_output(service, operation, body)
        if input_problems and operation in EXTENSION_OPERATIONS.get(service, ()):
            problems.append(Problem(service, operation, "input", "$",
                                    "the request breaks the input shape and was accepted: "
                                    + "; ".join(f"{p.path}: {p.problem}" for p in input_problems)))
    return problems


def check_exchanges(exchanges: Iterable[Exchange], **kwargs: Any) -> list[Problem]:
    """:func:`check_exchange` over many; the problems of all, in order."""
    out: list[Problem] = []
    for exchange in exchanges:
        out += check_exchange(exchange, **kwargs)
    return out


# --------------------------------------------------------------------------- recording

class ExchangeRecorder:
    """Records the exchanges of boto3 clients for :func:`check_exchanges`.

    ``attach(target)`` hooks a client (its own event emitter), a ``boto3.Session`` or a
    botocore session (clients created from it afterwards inherit the hooks);
    ``attach_to_new_sessions()`` hooks every session created afterwards.  Only the
    services in ``services`` are kept.  ``active`` can be turned off to stop keeping
    exchanges without detaching.  Thread-safe.
    """

    def __init__(self, services: Iterable[str] = ("ds", "workspaces"), label: str = "") -> None:
        self.services = set(services)
        self.label = label
        self.exchanges: list[Exchange] = []
        self.active = True
        self._lock = threading.Lock()
        self._local = threading.local()
        self._attached: list[Any] = []
        self._builtin: list[tuple[str, Any]] = []

    @staticmethod
    def _events(target: Any) -> Any:
        meta = getattr(target, "meta", None)
        if meta is not None and hasattr(meta, "events"):
            return meta.events
        if hasattr(target, "events"):  # boto3.Session
            return target.events
        return target.get_component("event_emitter")  # botocore Session

    def attach(self, target: Any) -> "ExchangeRecorder":
        events = self._events(target)
        events.register("before-parameter-build", self._on_params, unique_id=f"wscard-fidelity-p-{id(self)}")
        events.register("before-parse", self._on_response, unique_id=f"wscard-fidelity-r-{id(self)}")
        self._attached.append(events)
        return self

    def attach_to_new_sessions(self) -> "ExchangeRecorder":
        """Hook every botocore session created from now on (through botocore's
        ``BUILTIN_HANDLERS``, as moto's own ``mock_aws`` does): this reaches the clients
        that ``boto3.client(...)`` makes inside ``mock_aws``, which swaps boto3's default
        session for a new one."""
        from botocore import handlers

        for entry in (("before-parameter-build", self._on_params), ("before-parse", self._on_response)):
            handlers.BUILTIN_HANDLERS.append(entry)
            self._builtin.append(entry)
        return self

    def detach(self) -> None:
        """Remove every hook this recorder added (clients already made keep theirs)."""
        from botocore import handlers

        for entry in self._builtin:
            if entry in handlers.BUILTIN_HANDLERS:
                handlers.BUILTIN_HANDLERS.remove(entry)
        self._builtin.clear()
        for events in self._attached:
            events.unregister("before-parameter-build", unique_id=f"wscard-fidelity-p-{id(self)}")
            events.unregister("before-parse", unique_id=f"wscard-fidelity-r-{id(self)}")
        self._attached.clear()

    def mark(self) -> int:
        return len(self.exchanges)

    def since(self, mark: int) -> list[Exchange]:
        return self.exchanges[mark:]

    def _on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._local.params = (model.name, _plain(params))

    def _on_response(self, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        if not self.active:
            return
        service = operation_model.service_model.service_name
        if service not in self.services:
            return
        seen = getattr(self._local, "params", None)
        params = seen[1] if seen and seen[0] == operation_model.name else None
        body = response_dict.get("body") or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        exchange = Exchange(
            service=service,
            operation=operation_model.name,
            params=params,
            status=int(response_dict.get("status_code") or 0),
            headers=dict(response_dict.get("headers") or {}),
            body=bytes(body),
            protocol=getattr(operation_model.service_model, "resolved_protocol", None)
            or operation_model.metadata.get("protocol", ""),
            label=self.label,
        )
        with self._lock:
            self.exchanges.append(exchange)


def _plain(value: Any) -> Any:
    """A copy of the caller's parameters that later changes cannot reach."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def report(problems: list[Problem], limit: int = 40) -> str:
    """A readable list of problems (at most ``limit`` lines, then a count)."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more")
    return "\n".join(lines)


# --------------------------------------------------------------------------- model drift

def shape_summary(operations: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """What the judged operations' shapes say, reduced to what the extension depends on.

    ``{"botocore": version, "services": {service: {"operations": {op: {input, output,
    errors}}, "shapes": {name: {type, members, required, enum, pattern, min, max,
    timestampFormat}}}}}``: every shape reachable from the operations' input, output and
    error shapes.  Compared with :func:`diff_shape_summaries`.
    """
    operations = operations or judged_operations()
    out: dict[str, Any] = {"botocore": botocore_version(), "services": {}}
    for service, ops in sorted(operations.items()):
        model = service_model(service)
        shapes: dict[str, Any] = {}
        op_table: dict[str, Any] = {}
        for name in ops:
            op = model.operation_model(name)
            op_table[name] = {
                "input": op.input_shape.name if op.input_shape is not None else None,
                "output": op.output_shape.name if op.output_shape is not None else None,
                "errors": sorted(e.name for e in op.error_shapes),
            }
            for root in [op.input_shape, op.output_shape, *op.error_shapes]:
                if root is not None:
                    _summarise(root, shapes)
        out["services"][service] = {"operations": op_table, "shapes": dict(sorted(shapes.items()))}
    return out


def _summarise(shape: Any, shapes: dict[str, Any]) -> None:
    if shape.name in shapes:
        return
    entry: dict[str, Any] = {"type": shape.type_name}
    shapes[shape.name] = entry
    for key in ("enum", "pattern", "min", "max", "union"):
        if key in shape.metadata:
            entry[key] = shape.metadata[key]
    if "timestampFormat" in shape.serialization:
        entry["timestampFormat"] = shape.serialization["timestampFormat"]
    children: list[Any] = []
    if shape.type_name == "structure":
        entry["members"] = {k: v.name for k, v in shape.members.items()}
        entry["required"] = sorted(shape.required_members)
        children = list(shape.members.values())
    elif shape.type_name == "list":
        entry["member"] = shape.member.name
        children = [shape.member]
    elif shape.type_name == "map":
        entry["key"], entry["value"] = shape.key.name, shape.value.name
        children = [shape.key, shape.value]
    for child in children:
        _summarise(child, shapes)


def diff_shape_summaries(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed from ``old`` to ``new`` (two :func:`shape_summary` results), one line
    per change naming the service, the shape or operation and the trait."""
    changes: list[str] = []
    for service in sorted(set(old.get("services", {})) | set(new.get("services", {}))):
        o = old.get("services", {}).get(service, {})
        n = new.get("services", {}).get(service, {})
        for op in sorted(set(o.get("operations", {})) | set(n.get("operations", {}))):
            a, b = o.get("operations", {}).get(op), n.get("operations", {}).get(op)
            if a is None or b is None:
                changes.append(f"{service} operation {op}: {'added' if a is None else 'removed'}")
                continue
            for key in ("input", "output"):
                if a[key] != b[key]:
                    changes.append(f"{service} operation {op}: {key} shape {a[key]} -> {b[key]}")
            for gone in sorted(set(a["errors"]) - set(b["errors"])):
                changes.append(f"{service} operation {op}: error {gone} no longer modeled")
            for added in sorted(set(b["errors"]) - set(a["errors"])):
                changes.append(f"{service} operation {op}: error {added} newly modeled")
        os_, ns = o.get("shapes", {}), n.get("shapes", {})
        for name in sorted(set(os_) | set(ns)):
            a, b = os_.get(name), ns.get(name)
            if a == b:
                continue
            if a is None or b is None:
                changes.append(f"{service} shape {name}: {'added' if a is None else 'removed'}")
                continue
            for key in sorted(set(a) | set(b)):
                va, vb = a.get(key), b.get(key)
                if va == vb:
                    continue
                if key == "members":
                    va, vb = va or {}, vb or {}
                    for m in sorted(set(vb) - set(va)):
                        changes.append(f"{service} shape {name}: member {m} added")
                    for m in sorted(set(va) - set(vb)):
                        changes.append(f"{service} shape {name}: member {m} removed")
                    for m in sorted(set(va) & set(vb)):
                        if va[m] != vb[m]:
                            changes.append(f"{service} shape {name}: member {m} now targets {vb[m]} (was {va[m]})")
                elif key == "enum":
                    added = [v for v in vb or [] if v not in (va or [])]
                    gone = [v for v in va or [] if v not in (vb or [])]
                    changes.append(f"{service} shape {name}: enum" + (f" added {added}" if added else "")
                                   + (f" removed {gone}" if gone else ""))
                else:
                    changes.append(f"{service} shape {name}: {key} {va!r} -> {vb!r}")
    return changes


def main(argv: list[str] | None = None) -> int:
    """``python -m wscard.aws.fidelity --write PATH``: store the current shape summary."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m wscard.aws.fidelity",
                                     description="Store the botocore shape summary the fidelity test compares with.")
    parser.add_argument("--write", required=True, metavar="PATH", help="JSON file to write")
    args = parser.parse_args(argv)
    with open(args.write, "w", encoding="utf-8") as fh:
        json.dump(shape_summary(), fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(f"wrote the shape summary of botocore {botocore_version()} to {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
