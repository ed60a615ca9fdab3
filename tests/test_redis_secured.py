"""Distributed mode on a Redis that asks for a password and speaks only TLS (Debian's
redis-server: `requirepass`, `tls-port` with a certificate from the test's CA): the scheduler
queues a source's crawl and a worker runs it through that connection; a wrong password and a CA
the client does not know each give one line and exit 3; the password never appears."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from tests.conftest import new_config, run_monitor
from tests.test_distributed import sample_sources, schedule_once, worker
from tests.tlskit import certificates, free_port

PASSWORD = "r3dis-Secret"


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory):
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is missing: `make test` installs Debian's redis-server")
    folder = tmp_path_factory.mktemp("redis-tls")
    made = certificates(folder)
    port = free_port()
    server = subprocess.Popen(
        [exe, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", str(made.cert), "--tls-key-file", str(made.key),
         "--tls-ca-cert-file", str(made.ca), "--tls-auth-clients", "no",
         "--requirepass", PASSWORD, "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    from redis import Redis

    client = Redis(host="127.0.0.1", port=port, password=PASSWORD, ssl=True,
                   ssl_ca_certs=str(made.ca))  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except Exception:
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.1)
    env = {"MONITOR_REDIS_URL": f"rediss://:{PASSWORD}@127.0.0.1:{port}/0",
           "MONITOR_REDIS_CA_CERTS": str(made.ca), "MONITOR_LEASE_TTL": "5"}  # fmt: skip
    yield env, made, client
    server.terminate()
    server.wait(20)


def test_a_crawl_is_queued_and_run_through_tls_and_a_password(tls_redis, tmp_path, site_server):
    env, _, client = tls_redis
    config = new_config()
    path = sample_sources(tmp_path, site_server.base)
    scheduler = schedule_once(path, config, env)
    out, err = scheduler.communicate(timeout=120)
    assert scheduler.returncode == 0, err
    queued = [q for q in json.loads(out)["queued"] if q["job"]]
    assert len(queued) == 3 and PASSWORD not in out + err
    ran = worker(config, env, "--burst", "--json")
    said, _ = ran.communicate(timeout=600)
    assert ran.returncode == 0, said
    counts = json.loads(said.strip().splitlines()[-1])
    assert (counts["successful_jobs"], counts["failed_jobs"]) == (3, 0)
    assert PASSWORD not in said
    status = run_monitor("status", "--json", config=config, env_extra=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["distributed"]["waiting"] == 0
    assert PASSWORD not in status.stdout + status.stderr


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"MONITOR_REDIS_URL": "rediss://:wrong-pass@127.0.0.1:{port}/0"},
         "refused the login"),
        ({"MONITOR_REDIS_CA_CERTS": "{stranger}"}, "TLS certificate is not trusted"),
    ],
    ids=["wrong password", "unknown CA"],
)  # fmt: skip
def test_what_a_secured_redis_refuses_is_one_line_and_exit_3(
    tls_redis, tmp_path, site_server, change, expected
):
    env, made, _ = tls_redis
    port = env["MONITOR_REDIS_URL"].rsplit(":", 1)[1].split("/")[0]
    changed = {k: v.format(port=port, stranger=made.stranger) for k, v in change.items()}
    path = sample_sources(tmp_path, site_server.base)
    result = run_monitor("schedule", "--sources", path, "--once", config=new_config(),
                         env_extra={**env, **changed})  # fmt: skip
    assert result.returncode == 3, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert expected in line and PASSWORD not in line and "wrong-pass" not in line
