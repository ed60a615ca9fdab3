"""The local single-node Elasticsearch 8 that news-monitor runs when no cluster is configured.

Where it comes from: Maven Central serves the official Elasticsearch server as the archive
`org.elasticsearch.distribution.integ-test-zip:elasticsearch` (resolved with `mvn`, so a user's
Maven mirrors and proxies apply). That archive lacks the `analysis-common` module, so a small plugin
of ours (`plugin/`, compiled here with `javac` against the node's own jars) registers the `cjk` and
`english` analysers from the same Lucene classes a full distribution uses. See docs/operations.md.

Layout under `$MONITOR_HOME/elasticsearch/`: `dist/elasticsearch-<version>/` (the unpacked
server, one per version, MONITOR_ES_VERSION), `data/` (and `data.version`, the version that last
ran on it; an older version gets `data-<version>/`), `logs/`,
`tmp/`, `node.pid`, `launcher.log`. Elasticsearch refuses to run as root; run as root, the node is
started as the unprivileged system user `monitor-es` (created if missing), as its Docker image does.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from monitor.errors import LocalNodeError
from monitor.es.config import EsConfig

ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
SERVICE_USER = "monitor-es"
PLUGIN_DIR = Path(__file__).parent / "plugin"


def _run(cmd: list[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    except FileNotFoundError:
        raise LocalNodeError(
            f"{what}: '{cmd[0]}' is not installed (needs Java 17+ and Maven)"
        ) from None
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-8:]
        raise LocalNodeError(f"{what} failed ({' '.join(cmd[:3])} ...):\n" + "\n".join(tail))
    return result


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def running_pid(pid_file: Path) -> int | None:
    """The pid a node wrote, if that process still runs (it may belong to the service user)."""
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    except PermissionError:
        return pid


def _java_home() -> str:
    home = os.environ.get("ES_JAVA_HOME") or os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").exists():
        return home
    java = shutil.which("java")
    if not java:
        raise LocalNodeError("no Java found: install a JDK 17+ or set JAVA_HOME")
    return str(Path(java).resolve().parent.parent)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on the port now. With SO_REUSEADDR, as the node's own server
    sockets have it: the TIME_WAIT connections a just-stopped node leaves behind for a minute do
    not count, a program listening there does."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@dataclass
class LocalNode:
    config: EsConfig

    @property
    def root(self) -> Path:
        return self.config.home.resolve() / "elasticsearch"

    @property
    def version(self) -> str:
        return self.config.local_version

    @property
    def dist(self) -> Path:
        return self.root / "dist" / f"elasticsearch-{self.version}"

    @property
    def data(self) -> Path:
        """`data/`, unless a newer version last ran on it (Elasticsearch cannot go back to an
        older one): then `data-<version>` beside it, so the smoke tier's oldest version and a
        user trying one out leave the default node's indices as they are."""
        last = self.root / "data.version"
        try:
            newer = _version_key(last.read_text().strip()) > _version_key(self.version)
        except (FileNotFoundError, ValueError):
            newer = False
        return self.root / (f"data-{self.version}" if newer else "data")

    @property
    def pid_file(self) -> Path:
        return self.root / "node.pid"

    # --- installation -------------------------------------------------------------------------

    def install(self, log=print) -> None:
        """Fetch, unpack and configure the node; rebuild our plugin when its source changed."""
        written = []  # trees written here as root (the data and logs are Elasticsearch's own)
        if not (self.dist / "lib").is_dir():
            self._fetch(log)
            written.append(self.root / "dist")
        if self._build_plugin(log):
            written.append(self.dist / "plugins")
        self._write_config()
        if os.geteuid() == 0:
            self._prepare_service_user(written)

    def _fetch(self, log) -> None:
        downloads = self.root / "download"
        downloads.mkdir(parents=True, exist_ok=True)
        artifact = ARTIFACT.format(version=self.version)
        log(f"fetching Elasticsearch {self.version} from Maven Central ({artifact}) ...")
        _run(
            [
                "mvn",
                "-B",
                "-q",
                f"{DEPENDENCY_PLUGIN}:copy",
                f"-Dartifact={artifact}",
                f"-DoutputDirectory={downloads}",
                "-Dmdep.overWriteIfNewer=true",
            ],
            "resolving Elasticsearch with Maven",
            timeout=1800,
        )
        archive = downloads / f"elasticsearch-{self.version}.zip"
        staging = self.root / "dist.partial"
        shutil.rmtree(staging, ignore_errors=True)
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                zf.extract(info, staging)
                mode = info.external_attr >> 16
                if mode:
                    os.chmod(staging / info.filename, mode & 0o777)
        self.dist.parent.mkdir(parents=True, exist_ok=True)  # one folder per version, side by side
        shutil.rmtree(self.dist, ignore_errors=True)
        (staging / self.dist.name).rename(self.dist)
        shutil.rmtree(staging, ignore_errors=True)
        archive.unlink()

    def _plugin_digest(self) -> str:
        digest = hashlib.sha256(self.version.encode())
        for path in sorted(PLUGIN_DIR.rglob("*")):
            if path.is_file():
                digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def _build_plugin(self, log) -> bool:
        """Build the plugin when its source changed; whether it was built."""
        target = self.dist / "plugins" / "monitor-analysis"
        stamp = target / ".source-digest"
        digest = self._plugin_digest()
        if stamp.exists() and stamp.read_text() == digest:
            return False
        log("building the monitor-analysis plugin (cjk, english analysers) ...")
        java_bin = Path(_java_home(), "bin")
        build = self.root / "plugin-build"
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        sources = [str(p) for p in (PLUGIN_DIR / "src").rglob("*.java")]
        _run(
            [
                str(java_bin / "javac"),
                "--release",
                "17",
                "-cp",
                str(self.dist / "lib" / "*"),
                "-d",
                str(build / "classes"),
                *sources,
            ],
            "compiling the analysis plugin",
        )
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        _run(
            [
                str(java_bin / "jar"),
                "cf",
                str(target / "monitor-analysis.jar"),
                "-C",
                str(build / "classes"),
                ".",
            ],
            "packaging the analysis plugin",
        )
        descriptor = (PLUGIN_DIR / "plugin-descriptor.properties").read_text()  # for this node
        (target / "plugin-descriptor.properties").write_text(
            descriptor.replace("@ES_VERSION@", self.version)
        )
        stamp.write_text(digest)
        shutil.rmtree(build, ignore_errors=True)
        return True

    def _write_config(self) -> None:
        for folder in (self.data, self.root / "logs", self.root / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
        settings = {
            "cluster.name": "news-monitor-local",
            "node.name": "local",
            "discovery.type": "single-node",
            "network.host": "127.0.0.1",  # loopback only: security is off on this node
            "http.port": str(self.config.local_port),
            # derived from the HTTP port, as a range the node picks a free port from, so that a
            # second node (MONITOR_ES_PORT=9301) does not clash with one holding 9300
            "transport.port": f"{self.config.local_port + 100}-{self.config.local_port + 199}",
            "path.data": str(self.data),
            "path.logs": str(self.root / "logs"),
            "xpack.security.enabled": "false",
            "cluster.routing.allocation.disk.threshold_enabled": "false",
        }
        text = "# written by news-monitor (monitor/es/node.py); edits are overwritten\n"
        text += "".join(f"{k}: {v}\n" for k, v in settings.items())
        (self.dist / "config" / "elasticsearch.yml").write_text(text)

    def _prepare_service_user(self, written: list[Path]) -> None:
        """Give the service user what root wrote: the trees just installed, the config file and
        the top-level folders (not their contents: Elasticsearch writes those as the user)."""
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            _run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    SERVICE_USER,
                ],
                f"creating the system user {SERVICE_USER}",
            )
        entry = pwd.getpwnam(SERVICE_USER)
        paths = [self.root, *self.root.iterdir(), self.dist / "config" / "elasticsearch.yml"]
        for tree in written:
            paths += tree.rglob("*")
        for path in paths:
            if not path.is_symlink():
                os.chown(path, entry.pw_uid, entry.pw_gid)
        for parent in self.root.parents:  # the service user must be able to reach its home
            if parent.stat().st_mode & 0o001 == 0:
                raise LocalNodeError(
                    f"{parent} is not searchable by other users, so {SERVICE_USER} cannot reach "
                    f"{self.root}; set MONITOR_HOME to a folder under a world-searchable path"
                )

    # --- life cycle ---------------------------------------------------------------------------

    def pid(self) -> int | None:
        return running_pid(self.pid_file)

    def client(self) -> Elasticsearch:
        from monitor.es.client import make_client

        return make_client(self.config, request_timeout=2, max_retries=0, retry_on_timeout=False)

    def healthy(self) -> bool:
        try:
            health = self.client().cluster.health(wait_for_status="yellow", timeout="1s")
            return health["status"] in ("green", "yellow")
        except Exception:
            return False

    def _check_port_free(self) -> None:
        if port_free(self.config.local_port):
            return
        if self.healthy():
            raise LocalNodeError(
                f"something else already answers on {self.config.effective_url}; set "
                "MONITOR_ES_PORT to a free port, or MONITOR_ES_URL to use that cluster"
            )
        raise LocalNodeError(
            f"port {self.config.local_port} is in use by another program; set "
            "MONITOR_ES_PORT to a free port, or MONITOR_ES_URL to use a running cluster"
        )

    def start(self, timeout: float = 180, log=print) -> None:
        """Start the node in the background and wait until it answers healthy."""
        if self.pid() and self.healthy():
            return
        self._check_port_free()
        self.install(log)
        self.pid_file.unlink(missing_ok=True)
        env = dict(
            os.environ,
            ES_JAVA_HOME=_java_home(),
            ES_TMPDIR=str(self.root / "tmp"),
            ES_JAVA_OPTS=f"-Xms{self.config.local_heap} -Xmx{self.config.local_heap}",
        )
        env.pop("JAVA_HOME", None)
        user = SERVICE_USER if os.geteuid() == 0 else None
        log(f"starting Elasticsearch {self.version} on {self.config.effective_url} ...")
        with open(self.root / "launcher.log", "ab") as out:
            proc = subprocess.Popen(
                [str(self.dist / "bin" / "elasticsearch"), "-d", "-p", str(self.pid_file)],
                cwd=self.root,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                user=user,
                start_new_session=True,
            )
            launcher_rc = proc.wait(timeout=timeout)
        if launcher_rc != 0:
            raise LocalNodeError(f"Elasticsearch failed to start: {self._log_tail()}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy():
                if self.data.name == "data":  # the version that last ran on the shared data
                    (self.root / "data.version").write_text(self.version)
                return
            if not self.pid():
                raise LocalNodeError(f"Elasticsearch exited while starting: {self._log_tail()}")
            time.sleep(0.5)
        raise LocalNodeError(f"Elasticsearch did not become healthy within {timeout:.0f}s")

    def _log_tail(self) -> str:
        for path in (self.root / "logs" / "news-monitor-local.log", self.root / "launcher.log"):
            if path.exists():
                lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
                errors = [ln for ln in lines if "ERROR" in ln or "Exception" in ln]
                return (errors or lines)[-1][:400] + f" (see {path})"
        return "no log written"

    def stop(self, timeout: float = 60) -> bool:
        """Stop the node cleanly (SIGTERM, then wait). Returns False when it was not running."""
        pid = self.pid()
        if not pid:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.pid():
                self.pid_file.unlink(missing_ok=True)
                return True
            time.sleep(0.3)
        os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True


def ensure_available(config: EsConfig, log=print) -> None:
    """With no cluster configured, make sure the local node runs (start it if needed)."""
    if config.local:
        LocalNode(config).start(log=log)
