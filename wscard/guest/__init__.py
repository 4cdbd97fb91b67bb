"""In-session probes for WorkSpaces images (SESSION-1..SESSION-7).

Library only (never imports pytest). Probes read a guest from a root path and never
change it: ``linux`` (NSS databases through modutil/certutil, Firefox policies, PAM,
lock screen), ``windows`` (registry through winreg, a .reg export or a JSON dump).
``world`` turns the profile's ``[guest]`` section into the objects the checks take,
building the simulated guests (``build``) when the profile asks for one.
"""
