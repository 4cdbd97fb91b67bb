"""The model client pointed at the environment under test: its AWS side, the client of
``[client]``, the run's card session, the profile's PKI and OCSP responder, and what
the user types (``[login]``). The flow runs once, and once more in a "reopened" client,
per run; the LOGIN scenarios judge those two runs."""

from __future__ import annotations

from typing import Any

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
                "region": self.model.region, "registration_code": self.inputs.registration_code,
                "registration_code_from": self.code_source, "user": self.inputs.user,
                "client": self.model.client.as_evidence(), "baseline": self.model.baseline,
                "windows_workspace_image": (self.model.windows_guest.registry.label if self.model.windows_guest
                                            is not None else "none ([guest].os): the Windows logon is not modelled"),
                "card_backend": getattr(getattr(self.model.card, "backend", None), "name", "")}


def environment_sign_in(profile, aws_env, directory_id: str, client, card_session, pki, responder,
                        windows_guest: Any = None, directory=None) -> EnvironmentSignIn:
    """The model client on the environment of ``profile``; ``windows_guest``: the Windows
    WorkSpace image whose logon the second PIN prompt is (None: not modelled);
    ``directory``: a provider of the domain for that Windows logon (see
    :class:`~wscard.login.windows_logon.WindowsLogon`; None: the domain's side is not modelled)."""
    from .windows_logon import WindowsLogon

    from ..pki.environment import PkiEnvironment

    region = profile.aws.region
    login = profile.login
    if login.registration_code:
        code, source = login.registration_code, "[login].registration_code (what the user types)"
    else:
        code = registration_code_of(aws_env.client("workspaces", region), directory_id)
        source = (f"DescribeWorkspaceDirectories of directory {directory_id} (the code the administrator hands out)"
                  if code else f"none: directory {directory_id} is not registered with WorkSpaces")

    def pki_environment(registrations: list[dict[str, Any]]) -> PkiEnvironment:
        return PkiEnvironment(profile, pki, responder, directory_registrations=registrations)

    model = ModelClient(aws=aws_env, region=region, client=client, card=card_session, ca_entries=list(pki.ca_chain),
                        pki_environment=pki_environment, baseline=profile.profile.baseline,
                        authentication=list(profile.profile.authentication), expected_upn=profile.pki.upn,
                        label="the environment's sign-in", windows_guest=windows_guest,
                        windows_logon=WindowsLogon(directory, profile.pki.upn))
    return EnvironmentSignIn(model, FlowInputs(code, login.user_name(profile)), source)
