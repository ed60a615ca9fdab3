"""A local Elasticsearch cluster of several nodes on loopback (`monitor es start --nodes 3`), for
the tests of distributed mode and for trying a cluster out.

The nodes share the single node's installation (monitor.es.node.LocalNode: the server from Maven
Central and our analysis plugin) and each has a folder of its own under
`$MONITOR_HOME/elasticsearch/cluster-<port>/node-<i>/` (config, data, logs, tmp, pid). Node i
answers HTTP on MONITOR_ES_PORT + i and talks to the others on MONITOR_ES_PORT + 100 + i
(`discovery.seed_hosts`). Every index template asks for `auto_expand_replicas: 0-1`, so with more
than one node each shard gets a replica: a node can die without losing a document. Point the
commands at it with MONITOR_ES_URL listing the nodes (the client fails over between them).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from monitor.errors import LocalNodeError
from monitor.es.config import EsConfig
from monitor.es.node import SERVICE_USER, LocalNode, _java_home, port_free, running_pid


def free_base_port(nodes: int = 3) -> int:
    """A port p with p … p+nodes-1 (HTTP) and p+100 … (transport) free on loopback."""
    import socket

    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base > 65535 - 100 - nodes:
            continue
        ports = [base + i for i in range(nodes)] + [base + 100 + i for i in range(nodes)]
        if all(port_free(port) for port in ports):
            return base
    raise LocalNodeError("no free loopback ports for a local cluster")


class LocalCluster:
    def __init__(self, config: EsConfig, nodes: int):
        if nodes < 2:
            raise LocalNodeError("a cluster needs at least 2 nodes (1 is `monitor es start`)")
        self.config, self.nodes = config, nodes
        self.installation = LocalNode(config)
        self.root = self.installation.root / f"cluster-{config.local_port}"

    def http_port(self, i: int) -> int:
        return self.config.local_port + i

    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.http_port(i)}" for i in range(self.nodes)]

    def node_dir(self, i: int) -> Path:
        return self.root / f"node-{i}"

    def pid(self, i: int) -> int | None:
        return running_pid(self.node_dir(i) / "node.pid")

    def _configure(self, i: int) -> None:
        node = self.node_dir(i)
        for sub in ("data", "logs", "tmp"):
            (node / sub).mkdir(parents=True, exist_ok=True)
        config = node / "config"
        if not config.is_dir():
            shutil.copytree(self.installation.dist / "config", config)
        base = self.config.local_port
        seeds = ", ".join(f'"127.0.0.1:{base + 100 + n}"' for n in range(self.nodes))
        masters = ", ".join(f'"node-{n}"' for n in range(self.nodes))
        settings = {
            "cluster.name": f"news-monitor-local-{base}",
            "node.name": f"node-{i}",
            "network.host": "127.0.0.1",  # loopback only: security is off on these nodes
            "http.port": str(self.http_port(i)),
            "transport.port": str(base + 100 + i),
            "discovery.seed_hosts": f"[{seeds}]",
            "cluster.initial_master_nodes": f"[{masters}]",
            "path.data": str(node / "data"),
            "path.logs": str(node / "logs"),
            "xpack.security.enabled": "false",
            "cluster.routing.allocation.disk.threshold_enabled": "false",
        }
        text = "# written by news-monitor (monitor/es/cluster.py); edits are overwritten\n"
        text += "".join(f"{k}: {v}\n" for k, v in settings.items())
        (config / "elasticsearch.yml").write_text(text)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVICE_USER)
            for path in [self.root, node, *node.rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self, timeout: float = 300, log=print) -> list[str]:
        """Start every node not running yet; wait until the cluster has them all. The URLs."""
        self.installation.install(log)
        self.root.mkdir(parents=True, exist_ok=True)
        env = dict(
            os.environ,
            ES_JAVA_HOME=_java_home(),
            ES_JAVA_OPTS=f"-Xms{self.config.local_heap} -Xmx{self.config.local_heap}",
        )
        env.pop("JAVA_HOME", None)
        user = SERVICE_USER if os.geteuid() == 0 else None
        for i in range(self.nodes):
            if self.pid(i):
                continue
            self._configure(i)
            node = self.node_dir(i)
            (node / "node.pid").unlink(missing_ok=True)
            version, url = self.installation.version, self.urls()[i]
            log(f"starting Elasticsearch {version} node-{i} on {url} ...")
            with open(node / "launcher.log", "ab") as out:
                launcher = subprocess.Popen(
                    [str(self.installation.dist / "bin" / "elasticsearch"), "-d", "-p",
                     str(node / "node.pid")],
                    cwd=node, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    env=dict(env, ES_PATH_CONF=str(node / "config"), ES_TMPDIR=str(node / "tmp")),
                    user=user, start_new_session=True,
                )  # fmt: skip
                if launcher.wait(timeout=timeout) != 0:
                    raise LocalNodeError(f"node-{i} failed to start (see {node / 'logs'})")
        self._wait_for_all(timeout)
        return self.urls()

    def _wait_for_all(self, timeout: float) -> None:
        from elasticsearch import Elasticsearch

        client = Elasticsearch(self.urls(), request_timeout=5, max_retries=1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                health = client.cluster.health(
                    wait_for_nodes=str(self.nodes), wait_for_status="yellow", timeout="5s"
                )
                if not health["timed_out"]:
                    return
            except Exception:
                time.sleep(1)
        raise LocalNodeError(f"the cluster did not reach {self.nodes} nodes within {timeout:.0f}s")

    def kill(self, i: int) -> None:
        """SIGKILL one node (fault tests)."""
        pid = self.pid(i)
        if pid:
            os.kill(pid, signal.SIGKILL)

    def stop(self, timeout: float = 60) -> int:
        """Stop every node; how many were running."""
        running = [(i, pid) for i in range(self.nodes) if (pid := self.pid(i))]
        for _, pid in running:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(self.pid(i) for i, _ in running):
            time.sleep(0.3)
        for i, pid in running:
            if self.pid(i):
                os.kill(pid, signal.SIGKILL)
            (self.node_dir(i) / "node.pid").unlink(missing_ok=True)
        return len(running)

    @classmethod
    def existing(cls, config: EsConfig) -> LocalCluster | None:
        """The cluster of this port's folder, if one was started (for `monitor es stop`)."""
        root = LocalNode(config).root / f"cluster-{config.local_port}"
        nodes = len(list(root.glob("node-*"))) if root.is_dir() else 0
        return cls(config, nodes) if nodes >= 2 else None
