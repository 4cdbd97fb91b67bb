"""Root conftest: loads the harness's pytest plugins (all glue lives in steps/)."""

pytest_plugins = [
    "steps.harness_plugin",
    "steps.controls_plugin",
    "steps.aws_plugin",
    "steps.pki_plugin",
    "steps.ad_plugin",
    "steps.guest_plugin",
    "steps.card_plugin",
    "steps.workspaces_plugin",
    "steps.login_plugin",
]
