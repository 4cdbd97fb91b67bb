"""botocore's data read once a process (wscard.aws.botocore_data): moto's EC2 module and
every simulated session share one loader, so EC2's model (botocore's largest) and
endpoints.json are read once however many sessions and EC2 backends a run makes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# counts every JSON file botocore's loaders read, in a fresh process (this one may have
# imported moto already); then does what a simulated run does
COUNT = """
import collections, json, os, sys
import botocore.loaders
reads = collections.Counter()
original = botocore.loaders.JSONFileLoader.load_file
def load_file(self, path):
    reads[path.split("site-packages" + os.sep)[-1]] += 1  # botocore/data/..., boto3/data/...
    return original(self, path)
botocore.loaders.JSONFileLoader.load_file = load_file
{setup}
from moto.backends import get_backend
from wscard.aws.env import simulated_session
for account in ("123456789012", "210987654321"):
    get_backend("ec2")[account]["us-east-1"]
for region in ("us-east-1", "us-west-2"):
    simulated_session(region).client("ds")
import boto3
boto3.Session(region_name="us-east-1").client("workspaces")
print(json.dumps(reads))
"""


def _reads(setup: str) -> dict[str, int]:
    out = subprocess.run([sys.executable, "-c", COUNT.replace("{setup}", setup)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
                                                      "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_simulated_run_reads_each_botocore_file_once():
    reads = _reads("import wscard.aws.moto_ext")
    ec2 = [n for p, n in reads.items() if "data/ec2/" in p and p.endswith("service-2")]
    assert ec2 == [1], reads
    assert reads.get("botocore/data/endpoints") == 1, reads
    assert all(n == 1 for n in reads.values()), {p: n for p, n in reads.items() if n > 1}


def test_without_the_shared_loader_the_same_run_reads_them_again():
    # the measurement the module's docstring gives: what sharing saves is real
    reads = _reads("")
    ec2 = sum(n for p, n in reads.items() if "data/ec2/" in p and p.endswith("service-2"))
    assert ec2 >= 3 and reads.get("botocore/data/endpoints", 0) >= 4, reads


def test_a_session_with_a_data_path_of_its_own_keeps_its_own_loader(tmp_path, monkeypatch):
    import botocore.session

    from wscard.aws.botocore_data import share_across_sessions, shared_loader

    share_across_sessions()
    assert botocore.session.get_session().get_component("data_loader") is shared_loader()
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    own = botocore.session.get_session().get_component("data_loader")
    assert own is not shared_loader()
    assert str(tmp_path) in own.search_paths


def test_the_shared_loader_keeps_one_copy_of_each_search_path():
    import boto3

    from wscard.aws.botocore_data import share_across_sessions, shared_loader

    share_across_sessions()
    for _ in range(5):
        boto3.Session(region_name="us-east-1")  # boto3 appends its data folder each time
    paths = shared_loader().search_paths
    assert len(paths) == len(set(paths))
