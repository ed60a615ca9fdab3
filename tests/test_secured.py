"""A secured cluster as users run one: HTTPS with a certificate from a CA of their own, and a login.
nginx (Debian's package) terminates TLS with a certificate this test's CA signed and asks for
basic auth, in front of the local node. A crawl, a search and a watch go through it; a wrong
password, a CA the client does not know and plain HTTP to the TLS port each give one line and
exit 3, and the password is never printed."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from monitor.demo.server import serve
from tests.conftest import crawl_json, new_config, run_monitor
from tests.tlskit import certificates, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PASSWORD = "s3cret-Pa55"
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is installed by make test")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, es_config):
    """nginx on 127.0.0.1:<port>, TLS (a certificate for 127.0.0.1 signed by the test's CA) and
    basic auth (user `analyst`), proxying to the local node."""
    folder = tmp_path_factory.mktemp("tls")
    made = certificates(folder)
    hashed = subprocess.run(["openssl", "passwd", "-apr1", PASSWORD], capture_output=True,
                            text=True, check=True).stdout.strip()  # fmt: skip
    (folder / "htpasswd").write_text(f"analyst:{hashed}\n")
    port = free_port()
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\nevents {{}}\n"
        "http {\n  access_log off;\n"
        + "".join(
            f"  {kind}_temp_path {folder}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )  # fmt: skip
        + f"  server {{\n    listen 127.0.0.1:{port} ssl;\n"
        f"    ssl_certificate {folder}/server.pem;\n    ssl_certificate_key {folder}/server.key;\n"
        f'    auth_basic "news-monitor";\n    auth_basic_user_file {folder}/htpasswd;\n'
        "    client_max_body_size 100m;\n"
        f"    location / {{\n      proxy_pass {es_config.effective_url};\n"
        '      proxy_set_header Authorization "";\n    }\n  }\n}\n'
    )
    nginx = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                              "-e", str(folder / "error.log")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert nginx.poll() is None, nginx.stderr.read().decode()
            time.sleep(0.1)
    (folder / "password").write_text(PASSWORD + "\n")
    env = {
        "MONITOR_ES_URL": f"https://127.0.0.1:{port}",
        "MONITOR_ES_USERNAME": "analyst",
        "MONITOR_ES_PASSWORD_FILE": str(folder / "password"),
        "MONITOR_ES_CA_CERTS": str(folder / "ca.pem"),
    }
    yield env, folder, made.fingerprint
    nginx.terminate()
    nginx.wait(10)


PAGES = {
    "chips": ("工业和信息化部发布集成电路产业支持政策",
              "工业和信息化部近日发布通知，支持集成电路企业加大研发投入，推动芯片设计和制造协同发展。"),
    "steel": ("钢铁行业节能降碳改造有序推进",
              "多地钢铁企业推进超低排放改造，行业能耗水平持续下降，绿色低碳转型步伐加快。"),
}  # fmt: skip


def _site(root: Path) -> None:
    (root / "news").mkdir()
    for name, (title, text) in PAGES.items():
        (root / "news" / f"{name}.html").write_text(
            f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{title}"
            f"</title></head><body><article><h1>{title}</h1><p>{text}</p><p>{text}</p>"
            "</article></body></html>",
            encoding="utf-8",
        )
    links = "".join(f"<li><a href='/news/{n}.html'>{n}</a></li>" for n in PAGES)
    (root / "news" / "index.html").write_text(
        f"<html><body><ul class='l'>{links}</ul></body></html>"
    )


@pytest.fixture()
def site(tmp_path):
    """The two pages behind a listing: a sources file for them, and a watchlist of one watch."""
    root = tmp_path / "site"
    root.mkdir()
    _site(root)
    server = serve(root)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - id: secured\n    type: listing\n"
        f"    urls: {server.base}/news/index.html\n    links: ul.l li a\n    pages: none\n"
    )
    watchlist = tmp_path / "watchlists.yaml"
    watchlist.write_text("watches:\n  - id: chips\n    query: 集成电路\n", encoding="utf-8")
    yield sources, {"MONITOR_WATCHLIST_FILE": str(watchlist)}
    server.shutdown()


def _alerted(env: dict[str, str], config=None) -> list[tuple[str, str]]:
    alerts = run_monitor("alerts", "list", "--json", config=config, env_extra=env)
    assert alerts.returncode == 0, alerts.stderr
    said = json.loads(alerts.stdout)
    rows = said if isinstance(said, list) else said.get("alerts", [])
    return [(a["watch_id"], a["title"]) for a in rows]


def test_a_crawl_a_search_and_a_watch_go_through_tls_and_a_login(proxy, site):
    env, folder, fingerprint = proxy
    sources, watching = site
    config = new_config()
    env = {**env, **watching}
    summary = crawl_json(sources, config, env_extra=env)
    assert summary["secured"]["indexed"] == 2
    # pinned by the certificate's fingerprint instead of the CA file
    pinned = {**env, "MONITOR_ES_CA_CERTS": "", "MONITOR_ES_FINGERPRINT": fingerprint}
    found = run_monitor("search", "集成电路", "--json", config=config, env_extra=pinned)
    assert found.returncode == 0, found.stderr
    assert [h["title"] for h in json.loads(found.stdout)["hits"]] == [PAGES["chips"][0]]
    assert _alerted(env, config) == [("chips", PAGES["chips"][0])]
    assert PASSWORD not in found.stderr


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"MONITOR_ES_PASSWORD_FILE": "", "MONITOR_ES_PASSWORD": "wrong-one"},
         "answered 401: the credentials were refused"),
        ({"MONITOR_ES_CA_CERTS": "{folder}/stranger.pem"}, "TLS certificate is not trusted"),
        ({"MONITOR_ES_URL": "http://127.0.0.1:{port}", "MONITOR_ES_CA_CERTS": ""},
         "answered 400: a reply that is not Elasticsearch's (plain http to a TLS port"),
    ],
    ids=["wrong password", "unknown CA", "plain http to the TLS port"],
)  # fmt: skip
def test_what_a_secured_cluster_refuses_is_one_line_and_exit_3(proxy, change, expected):
    env, folder, _ = proxy
    port = env["MONITOR_ES_URL"].rsplit(":", 1)[1]
    changed = {k: v.format(folder=folder, port=port) for k, v in change.items()}
    result = run_monitor("search", "集成电路", config=new_config(), env_extra={**env, **changed})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 3, result.stderr
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert PASSWORD not in result.stderr and "wrong-one" not in result.stderr


def test_tls_settings_with_a_plain_http_url_are_a_configuration_error(proxy):
    env, _, fingerprint = proxy
    plain = {**env, "MONITOR_ES_URL": env["MONITOR_ES_URL"].replace("https:", "http:")}
    for extra in ({}, {"MONITOR_ES_CA_CERTS": "", "MONITOR_ES_FINGERPRINT": fingerprint}):
        result = run_monitor(
            "search", "集成电路", config=new_config(), env_extra={**plain, **extra}
        )
        assert result.returncode == 2 and "is set but MONITOR_ES_URL is plain http" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


# --- a node with security on: the privileges `monitor es check` names are enough, and checked ---

WRITER, READER = ("writer", "Wr1ter-pass"), ("reader", "Re4der-pass")
ROLES = """\
monitor_writer:
  cluster: [monitor, manage_index_templates]
  indices:
    - names: ["sec-*"]
      privileges: [create_index, manage, read, write, view_index_metadata]
monitor_reader:
  cluster: [monitor]
  indices:
    - names: ["sec-*"]
      privileges: [read, view_index_metadata]
"""


@pytest.fixture(scope="module")
def secured_node(es_config):
    """The local installation started once more with security on (file realm: a user with
    exactly the privileges monitor.es.privileges names, and one who may only read)."""
    import pwd
    import signal
    import uuid

    from elasticsearch import Elasticsearch

    from monitor.es.node import SERVICE_USER, LocalNode, _java_home, running_pid

    installation = LocalNode(es_config)
    http, transport = free_port(), free_port()
    root = installation.root / f"secured-{http}"
    shutil.copytree(installation.dist / "config", root / "config")
    for sub in ("data", "logs", "tmp"):
        (root / sub).mkdir()
    settings = {
        "cluster.name": "news-monitor-secured", "node.name": "secured",
        "discovery.type": "single-node", "network.host": "127.0.0.1",
        "http.port": http, "transport.port": transport,
        "path.data": root / "data", "path.logs": root / "logs",
        "xpack.security.enabled": "true", "xpack.security.http.ssl.enabled": "false",
        "xpack.security.transport.ssl.enabled": "false",
        "xpack.security.autoconfiguration.enabled": "false",
        "cluster.routing.allocation.disk.threshold_enabled": "false",
    }  # fmt: skip
    (root / "config" / "elasticsearch.yml").write_text(
        "".join(f"{k}: {v}\n" for k, v in settings.items())
    )
    (root / "config" / "roles.yml").write_text(ROLES)
    env = dict(os.environ, ES_JAVA_HOME=_java_home(), ES_PATH_CONF=str(root / "config"),
               ES_TMPDIR=str(root / "tmp"), ES_JAVA_OPTS="-Xms256m -Xmx256m")  # fmt: skip
    env.pop("JAVA_HOME", None)
    users = installation.dist / "bin" / "elasticsearch-users"
    for (name, password), role in ((WRITER, "monitor_writer"), (READER, "monitor_reader")):
        subprocess.run([str(users), "useradd", name, "-p", password, "-r", role], env=env,
                       check=True, capture_output=True)  # fmt: skip
    user = None
    if os.geteuid() == 0:
        user, entry = SERVICE_USER, pwd.getpwnam(SERVICE_USER)
        for path in [root, *root.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
    subprocess.run([str(installation.dist / "bin" / "elasticsearch"), "-d", "-p",
                    str(root / "node.pid")], env=env, user=user, cwd=root, check=True,
                   capture_output=True, timeout=180)  # fmt: skip
    url = f"http://127.0.0.1:{http}"
    client = Elasticsearch(url, basic_auth=WRITER, request_timeout=5, max_retries=0)
    deadline = time.monotonic() + 120
    while True:
        try:
            client.cluster.health(wait_for_status="yellow", timeout="5s")
            break
        except Exception:
            assert time.monotonic() < deadline, (root / "logs").glob("*.log")
            time.sleep(1)
    yield url, f"sec-{uuid.uuid4().hex[:8]}"
    pid = running_pid(root / "node.pid")
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not running_pid(root / "node.pid"):
                break
            time.sleep(0.3)
    shutil.rmtree(root, ignore_errors=True)


def _as(url: str, prefix: str, login: tuple[str, str]) -> dict[str, str]:
    return {"MONITOR_ES_URL": url, "MONITOR_ES_USERNAME": login[0],
            "MONITOR_ES_PASSWORD": login[1], "MONITOR_INDEX_PREFIX": prefix}  # fmt: skip


def test_es_check_says_what_the_user_may_do(secured_node):
    url, prefix = secured_node
    ok = run_monitor("es", "check", "--json", env_extra=_as(url, prefix, WRITER))
    assert ok.returncode == 0, ok.stderr
    found = json.loads(ok.stdout)
    assert (found["security"], found["user"], found["missing"]) == ("on", "writer", [])
    refused = run_monitor("es", "check", env_extra=_as(url, prefix, READER))
    assert refused.returncode == 3
    assert "privileges: 3 of 7 held" in refused.stdout
    [line] = refused.stderr.strip().splitlines()
    assert "lacks: cluster:manage_index_templates" in line and f"index {prefix}-*:write" in line
    assert READER[1] not in refused.stdout + refused.stderr


def test_the_privileges_named_are_enough_for_a_crawl_a_search_and_a_watch(secured_node, site):
    """A user with exactly the privileges `monitor es check` asks for crawls, searches and
    raises a watch's alert on a node with security on."""
    from monitor.es.config import EsConfig

    url, prefix = secured_node
    sources, watching = site
    env = {**_as(url, prefix, WRITER), **watching}
    summary = crawl_json(sources, EsConfig(index_prefix=prefix), env_extra=env)
    assert summary["secured"]["indexed"] == 2
    found = run_monitor("search", "集成电路", "--json", env_extra=env)
    assert [h["title"] for h in json.loads(found.stdout)["hits"]] == [PAGES["chips"][0]]
    assert _alerted(env) == [("chips", PAGES["chips"][0])]
    reader = run_monitor("search", "集成电路", "--json", env_extra=_as(url, prefix, READER))
    assert reader.returncode == 0, reader.stderr  # reading needs only read
