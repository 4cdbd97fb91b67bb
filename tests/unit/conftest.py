"""Fixtures shared by the unit tests of the moto extension.

``model_fidelity`` holds every Directory Service and WorkSpaces answer a test receives to
botocore's service model (``wscard.aws.fidelity``): a test whose answers break the model
fails at teardown with the list of differences.  Modules opt in with
``pytestmark = pytest.mark.usefixtures("fidelity_recorder", "model_fidelity")``.
"""

from __future__ import annotations

import pytest

from wscard.aws import fidelity


@pytest.fixture(scope="session")
def fidelity_recorder():
    """An ExchangeRecorder on every botocore session created from now on: every client the
    tests make (in-process moto or a moto server) is recorded while a test is judged."""
    recorder = fidelity.ExchangeRecorder(label="unit tests")
    recorder.active = False
    recorder.attach_to_new_sessions()
    yield recorder
    recorder.detach()


@pytest.fixture
def model_fidelity(fidelity_recorder):
    """Judge the answers this test received (outputs, error codes and bodies) against the model."""
    fidelity_recorder.active = True
    mark = fidelity_recorder.mark()
    yield fidelity_recorder
    fidelity_recorder.active = False
    exchanges = fidelity_recorder.since(mark)
    del fidelity_recorder.exchanges[mark:]
    problems = fidelity.check_exchanges(exchanges)
    if problems:
        pytest.fail("answers that break botocore's service model "
                    f"(botocore {fidelity.botocore_version()}):\n" + fidelity.report(problems), pytrace=False)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    """The login model's worlds (wscard.login.world.ModelWorlds) on an embedded simulated AWS,
    one per test module."""
    from hardware.pin import PinGuard
    from wscard.aws.env import AwsEnvironment
    from wscard.login.world import ModelWorlds

    env = AwsEnvironment("embedded", "us-gov-west-1").start()
    w = ModelWorlds(env, tmp_path_factory.mktemp("model"), PinGuard)
    try:
        yield w
    finally:
        w.close()
        env.stop()
