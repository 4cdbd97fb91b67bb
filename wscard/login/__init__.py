"""A MODEL of the WorkSpaces client's pre-session sign-in with a smart card (LOGIN-1..LOGIN-3),
and the session limit that follows it (SESSION-8).

This is not the real WorkSpaces client, and not AD Connector: it follows the steps and
messages the documents give (S-CLIENT, "Use a Smart Card to Log In to Your WorkSpace";
S-PREREQ and S-ADMIN for what the directory checks) against the environment's AWS side,
card and PKI, and reports each step. Reports name it "a model of the documented client".

* :mod:`wscard.login.flow`: the model client, step by step (:class:`ModelClient`,
  :class:`FlowRun`);
* :mod:`wscard.login.directory`: the directory's side, a model of AD Connector's
  documented validation of the certificate;
* :mod:`wscard.login.checks`: LOGIN-1..LOGIN-3 judged from runs of the flow;
* :mod:`wscard.login.context`: :class:`LoginContext`, what a sign-in is judged against
  (Region, baseline, authentication, UPN, CA files, the PKI view), built once from the
  profile;
* :mod:`wscard.login.environment`: the model pointed at the environment under test;
* :mod:`wscard.login.world`: scratch worlds for the documented failures (model cases);
* :mod:`wscard.login.session_limit`: SESSION-8, the Kerberos service ticket lifetime.

Never imports pytest, nor ``hardware`` (the card session is handed in). See
docs/workspaces.md, "The pre-session login model".
"""

from __future__ import annotations

from .context import LoginContext
from .flow import FlowInputs, FlowRun, ModelClient, registration_code_of, resolve_registration_code

__all__ = ["FlowInputs", "FlowRun", "LoginContext", "ModelClient", "registration_code_of",
           "resolve_registration_code"]
