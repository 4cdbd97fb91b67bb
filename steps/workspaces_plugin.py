"""pytest glue for the WorkSpaces, client and Region areas: the simulated directory's
WorkSpaces (seeded once per run on top of the AWS plugin's world), the WorkSpaces read
once and shared by the read-only scenarios, and the client under test."""

from __future__ import annotations

import pytest

from wscard.aws import workspaces as wsp
from wscard.aws.env import AwsEnvironment
from wscard.client.checks import ClientUnderTest, client_under_test
from wscard.profile import Profile


@pytest.fixture(scope="session")
def workspaces_world(aws_env: AwsEnvironment, profile: Profile, world):
    """The ``[workspaces]`` side of the simulated world (None on live AWS and endpoints)."""
    if world is None:
        return None
    return wsp.seed_workspaces(aws_env, world.directory_id, world.region, profile.workspaces)


class WorkspacesUnderTest:
    """The directory's WorkSpaces side, read once and shared by read-only scenarios."""

    def __init__(self, env: AwsEnvironment, directory_id: str, region: str, page_size: int):
        mark = env.recorder.mark()
        self.snapshot = wsp.read_workspaces(env.client("workspaces", region), directory_id, region, page_size)
        self.api_calls = env.calls_since(mark)


@pytest.fixture(scope="session")
def workspaces_under_test(aws_env: AwsEnvironment, profile: Profile, world, workspaces_world) -> WorkspacesUnderTest:
    directory_id = world.directory_id if world is not None else profile.aws.directory.id
    return WorkspacesUnderTest(aws_env, directory_id, profile.aws.region, profile.workspaces.page_size)


@pytest.fixture(scope="session")
def client(profile: Profile) -> ClientUnderTest:
    """The WorkSpaces client of the profile's ``[client]`` section (detected with ``detect = true``)."""
    return client_under_test(profile.client)
