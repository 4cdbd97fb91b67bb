"""The harness under process faults (issue 11): busy ports are reported in seconds, every
server stops on SIGTERM and SIGINT, nothing a run started outlives it when it is killed
with SIGKILL, and ``--profile PATH`` with a space, outside the checkout, works.

Each test starts real processes (moto server, OCSP responder, pcscd in a private network
namespace with a private socket, a Samba DC on an address of its own) and checks with
``/proc`` what is left; none touches the machine-wide pcscd or the Samba DC on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from wscard import lifetime
from wscard.errors import EnvironmentProblem
from wscard.ports import PortInUse, _listening_inodes

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc and PR_SET_PDEATHSIG")


@pytest.fixture
def busy_port():
    """A port on 127.0.0.1 that another program listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def _wait_line(proc: subprocess.Popen, timeout: float) -> str:
    """The first line the child prints, or '' if it ends or the time runs out."""
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        return ""
    return proc.stdout.readline().strip()


# --- 5: the moto server --------------------------------------------------------------------

def test_moto_server_on_a_busy_port_says_so_at_once(busy_port):
    t0 = time.monotonic()
    p = subprocess.run([PY, "-m", "wscard.cli", "moto-server", "--port", str(busy_port)], capture_output=True,
                       text=True, timeout=30, cwd=ROOT, env=_env())
    took = time.monotonic() - t0
    assert p.returncode == 2
    assert f"port {busy_port}" in p.stderr and "already in use" in p.stderr and "--port" in p.stderr
    assert "Traceback" not in p.stderr
    assert took < 15, f"took {took:.1f} s"


def test_start_server_raises_port_in_use(busy_port):
    from wscard.aws.moto_ext.server import start_server

    with pytest.raises(PortInUse, match=f"port {busy_port} .*held by pid {os.getpid()}"):
        start_server(busy_port)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_moto_server_stops_on_sigterm_and_sigint(sig):
    proc = subprocess.Popen([PY, "-m", "wscard.cli", "moto-server"], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT, env=_env())
    try:
        assert "http://127.0.0.1:" in _wait_line(proc, 30)
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()


# --- 5: the OCSP responder -----------------------------------------------------------------

def test_ocsp_responder_on_a_busy_port_says_so(busy_port, tmp_path):
    from wscard.pki.responder import ResponderProcess

    t0 = time.monotonic()
    with pytest.raises(EnvironmentProblem, match=f"port {busy_port}.*already in use.*stop the program"):
        ResponderProcess({"issuers": [], "host": "127.0.0.1", "port": busy_port}, tmp_path).start()
    assert time.monotonic() - t0 < 10


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ocsp_responder_stops_on_sigterm_and_sigint(sig, tmp_path):
    from wscard.pki.responder import ResponderProcess

    r = ResponderProcess({"issuers": [], "host": "127.0.0.1"}, tmp_path).start()
    try:
        r.proc.send_signal(sig)
        assert r.proc.wait(timeout=10) == 0
    finally:
        r.stop()


# --- 13: the Samba DC -----------------------------------------------------------------------

def test_samba_busy_port_is_reported_in_seconds(busy_port):
    """The port check runs before anything else of the start: a DC without a template
    is enough. An address of its own: no other run's DC is disturbed."""
    from types import SimpleNamespace

    from wscard.ad import samba

    address = "127.0.0.77"
    blocker = socket.socket()
    try:
        blocker.bind((address, 3269))  # not a privileged port: no root needed
    except OSError:
        pytest.skip(f"{address}:3269 cannot be bound here")
    blocker.listen()
    dc = samba.SambaDC(SimpleNamespace(spec=None), tls=None, address=address)
    t0 = time.monotonic()
    try:
        with pytest.raises(PortInUse, match=r"port 3269 \(held by pid \d+ .*\) on 127\.0\.0\.77 .*\[ad\.samba\]\.address"):
            dc._start()
    finally:
        blocker.close()
    assert time.monotonic() - t0 < samba.PORT_WAIT_SECONDS + 3


# --- 11: children and private folders die with the run -----------------------------------------

CHILD = textwrap.dedent(r"""
    import json, os, subprocess, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from wscard import lifetime
    from wscard.pki.responder import ResponderProcess
    from wscard.aws.moto_ext.server import start_server

    out = {"pids": [], "dirs": [], "ports": []}
    key_dir = lifetime.private_dir("wscard-killtest-")
    (key_dir / "key.pem").write_text("secret")
    out["dirs"].append(str(key_dir))
    (key_dir / "ocsp").mkdir()
    r = ResponderProcess({"issuers": [], "host": "127.0.0.1"}, key_dir / "ocsp").start()
    out["pids"].append(r.proc.pid)
    out["ports"] += [r.port, r.silent_port]
    server, url = start_server()
    out["ports"].append(int(url.rsplit(":", 1)[1]))
    # a child whose fork ignores SIGTERM: the child itself dies of the SIGTERM, its fork
    # only of the watchdog's SIGKILL to the group a few seconds later
    stubborn = lifetime.spawn([sys.executable, "-c",
        "import os, signal, time\nif os.fork() == 0: signal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(600)"],
        start_new_session=True)
    out["pids"].append(stubborn.pid)
    try:  # a SoftHSM token folder (its keys) and a Kerberos folder (its ticket cache)
        from hardware.softhsm import SoftHsm
        out["dirs"].append(str(SoftHsm().dir))
    except Exception:
        pass
    try:
        from wscard.ad.kerberos import KerberosClient
        out["dirs"].append(str(KerberosClient("CORP.EXAMPLE.COM", ["127.0.0.1"]).dir))
    except Exception:
        pass
    if "pcscd" in sys.argv[2:]:
        from hardware.pcscd import PcscdHelper
        h = PcscdHelper(isolate_network=True)
        h.ensure(need_vpcd=True)
        out["pids"].append(h.proc.pid)
        out["dirs"].append(str(h.workdir))
    if "samba" in sys.argv[2:]:
        from wscard.ad.samba import start_for_profile
        from wscard.profile import load_profile
        dc = start_for_profile(load_profile(sys.argv[3]))
        out["pids"] += dc.processes()
        out["dirs"].append(str(dc.workdir))
    print(json.dumps(out), flush=True)
    time.sleep(600)
""")


def _proc_stats():
    """(PID, the fields of /proc/PID/stat after the command name) of every live process."""
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                yield int(d.name), (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue


def _group_of(pid: int) -> list[int]:
    return [p for p, fields in _proc_stats() if int(fields[2]) == pid and fields[0] not in "ZX"]


def _left(info: dict, address: str = "127.0.0.1") -> list[str]:
    left = [f"process {pid}" for pid in info["pids"] if lifetime.start_time(pid) is not None]
    left += [f"process {pid} (group of {g})" for g in info["pids"] for pid in _group_of(g)]
    left += [f"folder {d}" for d in info["dirs"] if Path(d).exists()]
    left += [f"listener on port {p}" for p in info["ports"] if _listening_inodes(address, p)]
    return left


def _kill_run_and_check(args: list[str], env: dict[str, str], start_timeout: float = 60,
                        prefix: tuple[str, ...] = (), sig: int = signal.SIGKILL) -> dict:
    proc = subprocess.Popen([*prefix, PY, "-c", CHILD, str(ROOT), *args], stdout=subprocess.PIPE, text=True,
                            env=env)
    try:
        line = _wait_line(proc, start_timeout)
        assert line, "the run did not start its children"
        info = json.loads(line)
        assert all(Path(d).exists() for d in info["dirs"])
        assert all(lifetime.start_time(p) for p in info["pids"])
        os.kill(proc.pid, sig)
        proc.wait()
        deadline = time.monotonic() + lifetime.KILL_GRACE_SECONDS + 10
        while _left(info) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _left(info) == [], "left behind by the killed run"
        return info
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_run_leaves_no_process_port_or_folder(sig):
    """SIGTERM too: pytest does not handle it, so the run dies without its clean-up."""
    _kill_run_and_check([], _env(), sig=sig)


@linux_only
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("pcscd") or not shutil.which("unshare"),
                    reason="pcscd in private namespaces needs root and unshare(1)")
def test_sigkill_of_a_virtual_card_run_stops_its_pcscd():
    from hardware.pcscd import vpcd_driver

    if vpcd_driver() is None:
        pytest.skip("vsmartcard-vpcd is not installed")
    # The run gets a private /run/pcscd (a mount namespace; pcscd 1.9 has no setting for its
    # socket) and its pcscd a private network: the machine's pcscd and readers are not touched.
    prefix = ("unshare", "--mount", "--propagation", "private", "sh", "-c",
              'mkdir -p /run/pcscd && mount -t tmpfs -o mode=755 tmpfs /run/pcscd && exec "$@"', "sh")
    _kill_run_and_check(["pcscd"], _env(), prefix=prefix)


@linux_only
def test_sigkill_of_an_ad_run_removes_the_dc_folder(tmp_path):
    from wscard.ad import samba

    reason = samba.unavailable_reason()
    if reason:
        pytest.skip(reason)
    if not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs unshare(1) and ip(8)")
    # The run gets a private network (loopback only): its DC's ports 88/389/636 on 127.0.0.1
    # do not collide with another run's DC (it still takes the machine-wide turn). Its
    # ports are not visible from here, so processes and the folder are what is checked.
    prefix = ("unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh")
    profile = tmp_path / "p.toml"
    profile.write_text('extends = "embedded"\n[ad.samba]\nstart_timeout_seconds = 120\n')
    info = _kill_run_and_check(["samba", str(profile)], _env(), start_timeout=900, prefix=prefix)
    assert not any(Path(d).name.startswith("wscard-samba-") and Path(d).exists() for d in info["dirs"])


def _descendants(root: int) -> dict[int, str]:
    """PID -> start time of every live process below ``root``."""
    children: dict[int, list[int]] = {}
    for p, fields in _proc_stats():
        children.setdefault(int(fields[1]), []).append(p)
    out, todo = {}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            started = lifetime.start_time(child)
            if started is not None:
                out[child] = started
                todo.append(child)
    return out


@linux_only
def test_sigkill_of_a_real_ad_run_leaves_nothing(tmp_path):
    """The whole harness: pytest on the @ad scenarios, killed with SIGKILL once its Samba
    DC is up. Every process it started (Samba, the watchdog) ends and no folder it marked
    as its own is left. In a private network (loopback only), as above."""
    from wscard.ad import samba

    reason = samba.unavailable_reason()
    if reason:
        pytest.skip(reason)
    if not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs unshare(1) and ip(8)")
    import tempfile

    cmd = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
           PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "steps/test_ad_bdd.py",
           f"--run-dir={tmp_path / 'run'}"]
    run = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = Path(tempfile.gettempdir())

    def own_folders() -> list[Path]:
        found = []
        for d in base.glob("wscard-*"):
            try:
                if (d / lifetime.OWNER_FILE).read_text().split()[0] == str(run.pid):
                    found.append(d)
            except (OSError, IndexError):
                continue
        return found

    try:
        deadline = time.monotonic() + 900  # it may wait for another run's turn at the DC
        while time.monotonic() < deadline and run.poll() is None:
            below = _descendants(run.pid)
            if any(Path(f"/proc/{p}/comm").read_text().strip() == "samba" for p in below
                   if Path(f"/proc/{p}/comm").exists()) and any(d.name.startswith("wscard-samba-")
                                                                 for d in own_folders()):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the run ended or its DC did not start")
        below, folders = _descendants(run.pid), own_folders()
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + lifetime.KILL_GRACE_SECONDS + 10
        while time.monotonic() < deadline:
            left = [f"process {p}" for p, st in below.items() if lifetime.start_time(p) == st]
            left += [f"folder {d}" for d in folders if d.exists()]
            if not left:
                break
            time.sleep(0.1)
        assert left == [], "left behind by the killed run"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


@linux_only
def test_stale_folder_of_a_dead_run_is_removed_and_a_live_one_kept(tmp_path):
    """The watchdog's start-up sweep: a folder whose owner is gone goes; one whose owner
    lives, and one without the owner mark, stay."""
    import tempfile

    dead = subprocess.Popen([PY, "-c", "pass"])
    dead.wait()
    base = Path(tempfile.gettempdir())
    stale = Path(tempfile.mkdtemp(prefix="wscard-stale-", dir=base))
    (stale / lifetime.OWNER_FILE).write_text(f"{dead.pid} 1\n")
    live = Path(tempfile.mkdtemp(prefix="wscard-live-", dir=base))
    (live / lifetime.OWNER_FILE).write_text(f"{os.getpid()} {lifetime.start_time()}\n")
    unmarked = Path(tempfile.mkdtemp(prefix="wscard-unmarked-", dir=base))
    try:
        sweep = subprocess.run([PY, "-c", "from wscard import lifetime; lifetime.watchdog()"], cwd=ROOT,
                               env=_env(), timeout=30)
        assert sweep.returncode == 0
        deadline = time.monotonic() + 10
        while stale.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not stale.exists()
        assert live.exists() and unmarked.exists()
    finally:
        for d in (stale, live, unmarked):
            shutil.rmtree(d, ignore_errors=True)


@linux_only
def test_kept_folder_stays_and_a_forgotten_one_goes_when_the_run_ends():
    """Trap: the watchdog must not remove a folder the run kept (``--ad-keep``)."""
    code = textwrap.dedent("""
        from wscard import lifetime
        kept = lifetime.private_dir("wscard-kept-")
        lifetime.keep(kept)
        gone = lifetime.private_dir("wscard-gone-")
        print(kept, gone, flush=True)
    """)
    p = subprocess.run([PY, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=30)
    kept, gone = map(Path, p.stdout.split())
    try:
        deadline = time.monotonic() + 10
        while gone.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not gone.exists()  # not removed by the run itself: the watchdog did
        time.sleep(0.5)
        assert kept.exists()
    finally:
        shutil.rmtree(kept, ignore_errors=True)


# --- 10: --profile PATH with a space, outside the checkout ----------------------------------------

def test_profile_path_with_a_space_outside_the_checkout(tmp_path):
    """``wscard check --profile "/tmp/.../my profiles/p.toml"`` (the form ``./harness check``
    runs): the profile is read and the whole suite collected. Plain pytest, with the
    same arguments, roots at the profile's folder and refuses --profile: pytest decides
    that before loading any plugin, which is why the harness names its configuration
    and plugins itself (wscard.cli.pytest_command)."""
    from wscard.cli import pytest_command

    folder = tmp_path / "my profiles"
    folder.mkdir()
    profile = folder / "p.toml"
    profile.write_text('extends = "embedded"\n[aws]\nregion = "eu-west-1"\n')
    assert str(profile).startswith(tempfile_dir()) and " " in str(profile)
    outputs = ["--co", f"--alluredir={tmp_path / 'allure'}", f"--summary-file={tmp_path / 's.json'}"]
    p = subprocess.run([*pytest_command(), "--profile", str(profile), *outputs], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert "wscard AWS: embedded (eu-west-1)" in p.stdout
    assert "<Module test_ad_connector_bdd.py>" in p.stdout
    plain = subprocess.run([PY, "-m", "pytest", "--profile", str(profile), *outputs], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert plain.returncode != 0 and "unrecognized arguments: --profile" in plain.stderr


def tempfile_dir() -> str:
    import tempfile

    return tempfile.gettempdir()


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("ignores_sigterm", [False, True])
def test_lifetime_stop_terminates_then_kills(ignores_sigterm):
    """lifetime.stop: SIGTERM, and SIGKILL after the grace period when the child ignores it;
    a child already gone, or None, is left alone."""
    code = ("import signal, sys, time\n"
            + ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignores_sigterm else "")
            + "print('ready', flush=True)\ntime.sleep(60)\n")
    proc = lifetime.spawn([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        t0 = time.monotonic()
        lifetime.stop(proc, grace_seconds=0.5)
        took = time.monotonic() - t0
        assert proc.returncode == (-signal.SIGKILL if ignores_sigterm else -signal.SIGTERM)
        assert took >= 0.5 or not ignores_sigterm  # SIGKILL only after the grace period
        lifetime.stop(proc, grace_seconds=0.5)  # already stopped: nothing sent, no error
        lifetime.stop(None)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
