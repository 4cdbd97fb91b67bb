"""``[login]``: what the user does in the model of the WorkSpaces client's pre-session
sign-in (LOGIN-1..LOGIN-3), and how long a session must last (SESSION-8).

The model (``wscard/login/``) is not the real client: it follows the documented steps
of the WorkSpaces user guide ("Use a Smart Card to Log In to Your WorkSpace") against
the environment's directory, card and PKI. The PIN is never here: it comes from the
card's source (``$SMARTCARD_PIN`` or a prompt; generated on a simulated card). See
docs/workspaces.md, "The pre-session login model".
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ProfileError
from ..profile import section


@section("login")
@dataclass
class LoginSection:
    #: The registration code the user types into the client (step 2 of the user guide).
    #: Empty: the code of the directory under test, as DescribeWorkspaceDirectories
    #: returns it (the code the administrator hands out). A code of no directory
    #: registered with WorkSpaces in the Region makes "Insert your smart card" not
    #: appear ("verify that you've entered the correct registration code", LOGIN-1).
    registration_code: str = ""
    #: The WorkSpaces user who signs in (the ``UserName`` of their WorkSpace, the
    #: sAMAccountName). Empty: ``[client].user``, else the part before ``@`` of
    #: ``[pki].upn`` (``wscard.profile.login_user_name``).
    user: str = ""
    #: SESSION-8: a session ends when its Kerberos service ticket does. A maximum service
    #: ticket lifetime shorter than this many hours is reported as a warning (the
    #: documented default is 10 hours, longer than a working day of 8).
    session_hours_needed: float = 8.0

    def validate(self, profile) -> None:
        if self.registration_code != self.registration_code.strip():
            raise ProfileError("must not start or end with spaces", key="[login].registration_code")
        if not 0 < self.session_hours_needed <= 24 * 7:
            raise ProfileError("must be more than 0 and at most 168 (a week)", key="[login].session_hours_needed")

