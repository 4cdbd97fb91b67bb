"""The model client pointed at the environment under test: its AWS side, the client of
``[client]``, the run's card session, the profile's PKI and OCSP responder, and what
the user types (``[login]``). The flow runs once, and once more in a "reopened" client,
per run; the LOGIN scenarios judge those two runs."""

from __future__ import annotations

from typing import Any

from .context import LoginContext
from .flow import FlowInputs, FlowRun, ModelClient, registration_code_of


class EnvironmentSignIn:
    """The environment's sign-in through the model client, run lazily, once."""

    def __init__(self, model: ModelClient, inputs: FlowInputs, code_source: str):
        self.model = model
        self.inputs = inputs
        self.code_source = code_source
        self._first: FlowRun | None = None
        self._reopened: FlowRun | None = None

    def first(self) -> FlowRun:
        if self._first is None:
            self._first = self.model.run(self.inputs, attempt=1)
        return self._first

    def reopened(self) -> FlowRun:
        """The user closes and reopens the client and tries again (after the first run)."""
        self.first()
        if self._reopened is None:
            self._reopened = self.model.run(self.inputs, attempt=2)
        return self._reopened

    def describe(self) -> dict[str, Any]:
        return {"model": "a model of the documented WorkSpaces Windows client's pre-session sign-in (S-CLIENT), "
                         "not the real client; the directory's side is a model of AD Connector's documented "
                         "validation",
                "region": self.model.context.region, "registration_code": self.inputs.registration_code,
                "registration_code_from": self.code_source, "user": self.inputs.user,
                "client": self.model.client.as_evidence(), "baseline": self.model.context.baseline,
                "windows_workspace_image": (self.model.windows_guest.registry.label if self.model.windows_guest
                                            is not None else "none ([guest].os): the Windows logon is not modelled"),
                "card_backend": getattr(getattr(self.model.card, "backend", None), "name", "")}


def environment_sign_in(ctx: LoginContext, aws_env: Any, directory_id: str, client: Any, card_session: Any, *,
                        windows_guest: Any = None, directory: Any = None) -> EnvironmentSignIn:
    """The model client (S-CLIENT, "Use a Smart Card to Log In to Your WorkSpace") on the
    environment under test, judged against ``ctx`` (:meth:`LoginContext.from_profile`).

    ``aws_env``: the :class:`~wscard.aws.env.AwsEnvironment`; ``directory_id``: the
    directory under test, whose registration code (DescribeWorkspaceDirectories) the
    user types when ``ctx.registration_code`` is empty; ``client``: the client under test
    (``[client]``); ``card_session``: the run's card session; ``windows_guest``: the
    Windows WorkSpace image whose logon the second PIN prompt is (None: not modelled);
    ``directory``: a provider of the domain for that Windows logon (see
    :class:`~wscard.login.windows_logon.WindowsLogon`; None: the domain's side is not
    modelled). Nothing runs until :meth:`EnvironmentSignIn.first`; AWS errors of the code
    lookup propagate (botocore ``ClientError``)."""
    from .windows_logon import WindowsLogon

    if ctx.registration_code:
        code, source = ctx.registration_code, "[login].registration_code (what the user types)"
    else:
        code = registration_code_of(aws_env.client("workspaces", ctx.region), directory_id)
        source = (f"DescribeWorkspaceDirectories of directory {directory_id} (the code the administrator hands out)"
                  if code else f"none: directory {directory_id} is not registered with WorkSpaces")
    model = ModelClient(aws=aws_env, client=client, card=card_session, context=ctx,
                        label="the environment's sign-in", windows_guest=windows_guest,
                        windows_logon=WindowsLogon(directory, ctx.expected_upn))
    return EnvironmentSignIn(model, FlowInputs(code, ctx.user), source)
