"""pytest glue for the AWS side: --aws, --allow-aws-changes, the AWS environment,
the simulated world and the directory snapshot shared by read-only scenarios."""

from __future__ import annotations

import pytest

from wscard.aws import ad_connector, service_faults
from wscard.aws.env import AwsEnvironment
from wscard.errors import ProfileError
from wscard.profile import Profile, directory_user_name

from .harness_plugin import PROFILE_KEY, get_profile


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("wscard")
    g.addoption("--aws", default=None, metavar="MODE",
                help="AWS side: embedded (moto in-process), server (a moto server on 127.0.0.1), "
                     "live (real AWS, read-only), or an endpoint URL. Overrides [aws].mode.")
    g.addoption("--allow-aws-changes", default=None, metavar="DIRECTORY_ID",
                help="on live AWS, allow the procedure scenarios to change this one sandbox directory")
    g.addoption("--simulated-endpoint", action="store_true", default=False,
                help="the --aws endpoint is a simulation you started (wscard moto-server): do not guard "
                     "mutating calls (an endpoint is otherwise guarded like live AWS). Sets [aws].endpoint_simulated.")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    mode = config.getoption("--aws")
    simulated_endpoint = config.getoption("--simulated-endpoint")
    if not mode and not simulated_endpoint:
        return
    profile = config.stash[PROFILE_KEY]
    extra = {"endpoint_simulated": True} if simulated_endpoint else {}
    try:
        if not mode:
            profile = profile.replace("aws", **extra)
        elif "://" in mode:
            profile = profile.replace("aws", mode="endpoint", endpoint_url=mode, **extra)
        elif mode in ("embedded", "server", "live", "endpoint"):
            profile = profile.replace("aws", mode=mode, **extra)
        else:
            raise pytest.UsageError(f"--aws: unknown mode {mode!r}; use embedded, server, live or an endpoint URL")
    except ProfileError as exc:
        given = " ".join(([f"--aws {mode}"] if mode else []) + (["--simulated-endpoint"] if simulated_endpoint else []))
        raise pytest.UsageError(f"{given}: {exc}") from None
    config.stash[PROFILE_KEY] = profile


def pytest_report_header(config: pytest.Config) -> list[str]:
    profile = get_profile(config)
    aws = profile.aws
    where = aws.endpoint_url if aws.mode == "endpoint" else aws.region
    line = f"wscard AWS: {aws.mode} ({where})"
    allowed = config.getoption("--allow-aws-changes")
    if aws.mode == "endpoint" and aws.endpoint_simulated:
        line += "; a simulation (--simulated-endpoint): changes not guarded"
    elif aws.mode in ("live", "endpoint"):
        line += f"; changes allowed only for {allowed}" if allowed else "; read-only"
    return [line] + [f"wscard profile WARNING: {w}" for w in profile.warnings]


@pytest.fixture(scope="session")
def aws_env(profile: Profile, pytestconfig: pytest.Config):
    aws = profile.aws
    env = AwsEnvironment(aws.mode, aws.region, endpoint_url=aws.endpoint_url,
                         allow_changes_for=pytestconfig.getoption("--allow-aws-changes"),
                         endpoint_simulated=aws.endpoint_simulated)
    with env, service_faults.applied(aws.service_faults if env.simulated else []):
        yield env


@pytest.fixture(scope="session")
def ca_chain(profile: Profile):
    """The users' CA chain, issuing CA first (test PKI, or the profile's CA files)."""
    from wscard.pki import get_pki

    return get_pki(profile.pki).ca_chain


@pytest.fixture(scope="session")
def certificate_source(profile: Profile):
    """Resolve a [[aws.certificates]] source (pki:<name> or a file) to PEM bytes."""
    from wscard.aws.world import certificate_pem

    return lambda source: certificate_pem(profile, source)


@pytest.fixture(scope="session")
def world(aws_env: AwsEnvironment, profile: Profile, certificate_source):
    """The simulated world built from the profile (None on live AWS and endpoints)."""
    if not aws_env.simulated:
        return None
    from wscard.aws.world import seed_or_explain

    return seed_or_explain(aws_env, profile.aws, certificate_source, directory_user_name(profile))


class DirectoryUnderTest:
    """The directory named by the profile, read once and shared by read-only scenarios."""

    def __init__(self, env: AwsEnvironment, directory_id: str, region: str):
        from wscard.aws.env import aws_errors

        mark = env.recorder.mark()
        with aws_errors(f"reading directory {directory_id} in {region}"):
            self.snapshot = ad_connector.read_directory(env.client("ds", region), directory_id, region)
        self.api_calls = env.calls_since(mark)
        self.ds = env.client("ds", region)


@pytest.fixture(scope="session")
def directory_under_test(aws_env: AwsEnvironment, profile: Profile, world) -> DirectoryUnderTest:
    directory_id = world.directory_id if world is not None else profile.aws.directory.id
    return DirectoryUnderTest(aws_env, directory_id, profile.aws.region)
