"""Distributed mode against a real redis-server (Debian's package, started here on loopback) and
the real node: schedulers enqueue each slot once, workers share the jobs, a worker killed with -9
loses its source's lease and another finishes the source, every page stored once."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import threading
import time
import zlib

import pytest

from monitor import command as monitor_command
from monitor import registry
from monitor.demo.server import LOCAL_CRAWL_SETTINGS
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import ROOT, new_config, run_monitor, stored_count
from tests.sites.generated import served_listing, served_sitemap

FAST = (*LOCAL_CRAWL_SETTINGS, "-s", "MONITOR_PROGRESS_INTERVAL=0")
BULK_SIZE = registry.get("MONITOR_BULK_SIZE").default  # the index stage's batch, at most


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """redis-server on a loopback port, its data in `folder` (append-only file, fsync always: a
    restart keeps every job)."""

    def __init__(self, folder):
        self.exe = shutil.which("redis-server")
        if self.exe is None:
            pytest.fail("redis-server is missing: `make test` installs Debian's redis-server")
        self.port, self.folder = free_port(), folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        from redis import Redis

        self.process = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.client = Redis(port=self.port)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.client.ping()
                return
            except Exception:
                assert time.monotonic() < deadline and self.process.poll() is None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture()
def redis_env(redis_server):
    redis_server.client.flushall()
    # leases of 5 s: short for the tests, long enough for a loaded 2-core machine to renew them
    return {"MONITOR_REDIS_URL": redis_server.url, "MONITOR_LEASE_TTL": "5"}, redis_server.client


def job_results(client, ids: list[str]) -> list:
    """What each crawl job returned (the jobs are JSON: monitor.distributed.jobs)."""
    from rq.job import Job
    from rq.serializers import JSONSerializer

    return [Job.fetch(i, connection=client, serializer=JSONSerializer).return_value() for i in ids]


def sample_sources(tmp_path, base: str, copies: int = 1) -> str:
    """The gov listing, the Atom feed and the sitemap of the sample sites, `copies` times under
    other ids (copy n's documents are the same pages: stored once, by whichever runs first)."""
    lines = ["sources:"]
    for n in range(copies):
        lines += [
            f"  - id: gov{n}\n    type: listing\n    urls: {base}/gov/zcwj/index.html\n"
            "    links: ul.list li a\n    pages: {pattern: 'index_{n}.html', count: 2}",
            f"  - id: atom{n}\n    type: feed\n    urls: {base}/ennews/atom.xml",
            f"  - id: sitemap{n}\n    type: sitemap\n    urls: {base}/ennews/sitemap.xml",
        ]
    path = tmp_path / "sources.yaml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def schedule_once(path: str, config, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        monitor_command("schedule", "--sources", path, "--once", "--json", *FAST, *extra),
        cwd=ROOT, env=dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix, **env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def worker(config, env: dict, *extra: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        monitor_command("worker", *extra),
        cwd=ROOT, env=dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix, **env),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen,
    )  # fmt: skip


def kill_tree(pid: int) -> None:
    """SIGKILL a process and every process below it, whatever session they are in."""
    import psutil

    root = psutil.Process(pid)
    for process in [*root.children(recursive=True), root]:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGKILL)


def runs_by_source(config) -> dict[str, int]:
    es = make_client(config)
    if not es.indices.exists_alias(name=config.index_name("runs")):
        return {}
    es.indices.refresh(index=config.index_name("runs"))
    hits = es.search(index=config.index_name("runs"), size=100)["hits"]["hits"]
    counted: dict[str, int] = {}
    for hit in hits:
        counted[hit["_source"]["source_id"]] = counted.get(hit["_source"]["source_id"], 0) + 1
    return counted


def test_two_schedulers_enqueue_each_slot_once_and_three_workers_share_nine_sources(
    tmp_path, site_server, redis_env
):
    env, client = redis_env
    config = new_config()
    path = sample_sources(tmp_path, site_server.base, copies=3)
    site_server.delay = 0.05  # the jobs overlap: the workers share them
    try:
        first, second = schedule_once(path, config, env), schedule_once(path, config, env)
        outputs = [json.loads(p.communicate(timeout=120)[0])["queued"] for p in (first, second)]
        assert all(p.returncode == 0 for p in (first, second))
        queued = [q for out in outputs for q in out if q["job"]]
        assert sorted(q["source"] for q in queued) == sorted(
            f"{kind}{n}" for kind in ("gov", "atom", "sitemap") for n in range(3)
        )  # nine sources, each enqueued by one scheduler only
        assert client.llen("rq:queue:crawls") == 9
        for job_id in client.lrange("rq:queue:crawls", 0, -1):  # JSON, never a pickle
            data = zlib.decompress(client.hget(b"rq:job:" + job_id, "data"))
            assert json.loads(data)[0] == "monitor.distributed.jobs.crawl_source"
        workers = [worker(config, env, "--burst", "--json") for _ in range(3)]
        logs = [w.communicate(timeout=300)[0] for w in workers]
        assert [w.returncode for w in workers] == [0, 0, 0], logs
        done = [json.loads(log.strip().splitlines()[-1]) for log in logs]
        results = job_results(client, [q["job"] for q in queued])
        assert all(r and r.get("returncode") == 0 for r in results), (results, logs)
        assert sum(d["successful_jobs"] for d in done) == 9
        assert sum(1 for d in done if d["successful_jobs"]) >= 2  # shared, not one worker alone
        assert runs_by_source(config) == {s: 1 for s in (q["source"] for q in queued)}
        # just crawled: a second pair of schedulers finds nothing due
        again = [schedule_once(path, config, env) for _ in range(2)]
        assert all(json.loads(p.communicate(timeout=120)[0])["queued"] == [] for p in again)
    finally:
        site_server.delay = 0
        delete_all(make_client(config), config)


@pytest.fixture()
def big_site(tmp_path):
    server, sources, paths = served_listing(tmp_path, 150, "    schedule: {every: 1m}\n")
    yield server, str(sources), paths
    server.shutdown()


def test_a_worker_killed_mid_crawl_loses_its_lease_and_another_finishes_the_source(
    big_site, redis_env
):
    server, path, paths = big_site
    env, client = redis_env
    config = new_config()
    server.delay = 0.03
    victim = None
    try:
        scheduler = schedule_once(path, config, env)
        assert json.loads(scheduler.communicate(timeout=120)[0])["queued"][0]["job"]
        victim = worker(config, env)
        es = make_client(config)
        alias = config.index_name("articles")
        deadline = time.monotonic() + 120
        while stored_count(es, alias) < 20:
            assert time.monotonic() < deadline and victim.poll() is None
            time.sleep(0.1)
        assert client.exists("monitor:lease:big")
        kill_tree(victim.pid)  # the machine dies: worker, its work horse (a session of its own)
        victim.wait(timeout=30)  # and the crawl with its extraction workers
        server.delay = 0
        # no run was recorded: the source is due at the same slot, enqueued again once the
        # slot key (min(interval, 10 lease TTLs) = 50 s here) is gone; the dead lease expires
        deadline = time.monotonic() + 100
        while True:
            again = schedule_once(path, config, env)
            queued = json.loads(again.communicate(timeout=120)[0])["queued"]
            if queued and queued[0]["job"]:
                break
            assert time.monotonic() < deadline, queued
            time.sleep(2)
        rescuer = worker(config, env, "--burst", "--json")
        out = rescuer.communicate(timeout=300)[0]
        assert rescuer.returncode == 0 and '"successful_jobs": 1' in out, out[-2000:]
        es.indices.refresh(index=alias)
        urls = [h["_source"]["url"] for h in es.search(index=alias, size=500)["hits"]["hits"]]
        assert len(urls) == len(set(urls)) == len(paths)  # every page, once
        runs = make_client(config).search(index=config.index_name("runs"))["hits"]["hits"]
        assert runs_by_source(config) == {"big": 1}, [
            {k: r["_source"].get(k) for k in ("started_at", "pages", "new_documents",
                                              "interrupted", "run_id")} for r in runs]  # fmt: skip
    finally:
        if victim is not None and victim.poll() is None:
            kill_tree(victim.pid)
        delete_all(make_client(config), config)


class SharedSite:
    """A distributed sitemap source over generated pages served on 127.0.0.1, a fresh index
    prefix, the ES client, and the workers a test starts: all removed after the test."""

    def __init__(self, folder, env: dict, pages: int, parts: int, delay: float):
        self.server, sources, self.paths = served_sitemap(
            folder, pages, f"    distributed: {parts}\n"
        )
        self.server.delay = delay  # bound by waiting, as on the web: the parts overlap
        # every fetch is counted here: no daily `sources check` from the scheduler (canaries
        # fetch the sitemap and an article of their own; tests/test_canary.py has them)
        env = {**env, "MONITOR_CHECK_EVERY": "off"}
        self.path, self.env, self.config = str(sources), env, new_config()
        self.es = make_client(self.config)
        self.alias = self.config.index_name("articles")
        self.workers: list[subprocess.Popen] = []

    def queue(self) -> dict:
        """The source's slot as jobs (`schedule --once`)."""
        scheduler = schedule_once(self.path, self.config, self.env)
        [queued] = json.loads(scheduler.communicate(timeout=120)[0])["queued"]
        return queued

    def start_workers(self, count: int) -> list[subprocess.Popen]:
        self.workers = [worker(self.config, self.env, "--burst", "--json") for _ in range(count)]
        return self.workers

    def fetched(self) -> list[str]:
        return [r for r in self.server.requests if r.startswith("/site/")]

    def stored_urls(self) -> list[str]:
        self.es.indices.refresh(index=self.alias)
        hits = self.es.search(index=self.alias, size=500)["hits"]["hits"]
        return [h["_source"]["url"] for h in hits]

    def seen_urls(self) -> set[str]:
        """The article URLs the seen-record holds (not fetched again by the next run)."""
        seen = self.config.index_name("seen")
        self.es.indices.refresh(index=seen)
        query = {"term": {"kind": "article"}}
        hits = self.es.search(index=seen, size=1000, query=query, source=["url"])["hits"]["hits"]
        return {h["_source"]["url"] for h in hits}

    def close(self) -> None:
        for running in self.workers:
            if running.poll() is None:
                kill_tree(running.pid)
        self.server.shutdown()
        delete_all(self.es, self.config)


@pytest.fixture()
def shared_site(tmp_path, redis_env):
    """shared_site(pages, parts, delay): a SharedSite, closed after the test."""
    made: list[SharedSite] = []

    def make(pages: int, parts: int, delay: float) -> SharedSite:
        made.append(SharedSite(tmp_path, redis_env[0], pages, parts, delay))
        return made[-1]

    yield make
    for site in made:
        site.close()


def test_a_distributed_source_is_crawled_by_three_workers_and_each_url_fetched_once(
    shared_site, redis_env
):
    """A sitemap source marked `distributed: 3`: the slot becomes three jobs, parts of one shared
    crawl (scrapy-redis queue and duplicate filter in Redis); three workers fetch disjoint URLs,
    every URL once, every page stored once, and the parts are judged as one run (a part that
    fetched only articles is not a source whose pages gave no links)."""
    site, (env, client) = shared_site(240, 3, 0.1), redis_env
    queued = site.queue()
    assert len(queued["jobs"]) == 3 and client.llen("rq:queue:crawls") == 3
    workers = site.start_workers(3)
    logs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], logs
    results = job_results(client, queued["jobs"])
    assert all(r and r["returncode"] == 0 for r in results), (results, logs)
    parts = [r["summary"] for r in results]
    assert {p["shared"] for p in parts} == {queued["slot"]}
    assert sum(p["shared_last"] for p in parts) == 1  # one part judged the source's health
    assert sorted(site.fetched()) == sorted(site.paths)  # every URL, each once, over the parts
    assert sum(1 for p in parts if p["pages"] > 1) >= 2  # shared, not one part alone
    assert site.server.requests.count("/sitemap.xml") == 1  # every part sent it: fetched once
    urls = site.stored_urls()
    assert len(urls) == len(set(urls)) == len(site.paths)
    status = run_monitor("status", "--json", config=site.config, env_extra=env)
    [big] = [s for s in json.loads(status.stdout)["sources"] if s["source"] == "big"]
    assert big["state"] == "ok" and big["runs"] == 1, big  # the three parts as one run
    assert not list(client.scan_iter(match="monitor:share:big:*:busy:*"))
    # the last part out recorded the sitemap: the next crawl gets a 304 and fetches nothing
    again = run_monitor(
        "crawl", "--sources", site.path, "--json", "--no-translate", *FAST, config=site.config
    )
    assert json.loads(again.stdout)["sources"][0]["not_modified"] == 1, again.stdout
    assert len(site.fetched()) == len(site.paths)
    assert client.ttl(f"monitor:share:big:{queued['slot']}:dupefilter") > 0  # kept, expiring


def test_a_part_killed_mid_crawl_costs_only_its_pages_in_flight(shared_site, redis_env):
    """Three workers on one distributed source, one killed with -9 mid-crawl: the other two do
    not wait for it past its busy key's TTL, they finish the shared queue, and the next crawl
    fetches only what the dead part had taken and not stored; every page stored exactly once."""
    site, client = shared_site(300, 3, 0.05), redis_env[1]
    queued = site.queue()
    # no page is answered before all three parts have joined: on a loaded machine the third
    # one started after the other two had finished the queue
    gate = threading.Event()
    site.server.hold = ("/site/", gate)
    workers = site.start_workers(3)
    deadline = time.monotonic() + 120
    opened = f"monitor:share:big:{queued['slot']}:open"
    while int(client.get(opened) or 0) < 3:  # every part has joined the shared crawl
        assert time.monotonic() < deadline, [w.poll() for w in workers]
        time.sleep(0.05)
    gate.set()
    while stored_count(site.es, site.alias) < 30:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    victim, survivors = workers[0], workers[1:]
    kill_tree(victim.pid)
    victim.wait(timeout=30)
    logs = [w.communicate(timeout=180)[0] for w in survivors]  # not waiting for the dead
    assert [w.returncode for w in survivors] == [0, 0], logs
    assert client.zcard(f"monitor:share:big:{queued['slot']}:requests") == 0
    stored, fetched = set(site.stored_urls()), len(site.fetched())
    # killed between storing a batch and recording it as seen: at most that one batch of the
    # dead part's is fetched again (and found already stored)
    unrecorded = stored - site.seen_urls()
    assert len(unrecorded) <= BULK_SIZE, sorted(unrecorded)
    again = run_monitor(
        "crawl", "--sources", site.path, "--json", "--no-translate", *FAST, config=site.config
    )
    assert again.returncode == 0, again.stderr[-2000:]
    refetched = len(site.fetched()) - fetched
    assert refetched == len(site.paths) - len(stored) + len(unrecorded)  # only what was not kept
    assert refetched < len(site.paths) / 2, refetched  # the dead part's pages, not the source
    urls = site.stored_urls()
    assert len(urls) == len(set(urls)) == len(site.paths)  # every page, once


def test_redis_restarted_mid_crawl_loses_no_page_and_no_job(shared_site, redis_server, redis_env):
    """Redis goes away for a moment while two workers crawl a distributed source (the parts'
    queue, their leases, RQ's own keys all in it) and comes back with its append-only file: the
    parts' calls are retried, the leases renewed at the next turn, both jobs end, every URL is
    fetched once and every page stored once."""
    site, client = shared_site(240, 2, 0.1), redis_env[1]
    queued = site.queue()
    workers = site.start_workers(2)
    deadline = time.monotonic() + 120
    while stored_count(site.es, site.alias) < 40:
        assert time.monotonic() < deadline, [w.poll() for w in workers]
        time.sleep(0.05)
    redis_server.stop()
    redis_server.start()
    logs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], logs
    results = job_results(client, queued["jobs"])
    assert all(r and r["returncode"] == 0 for r in results), (results, logs)
    assert all(not r["summary"]["failed"] for r in results), results
    assert sorted(site.fetched()) == sorted(site.paths)  # every URL, each once
    urls = site.stored_urls()
    assert len(urls) == len(set(urls)) == len(site.paths)


def test_a_worker_refuses_a_queue_holding_pickled_jobs(redis_env):
    """A pickle runs code when it is read: a job written with one (RQ's default, as an older
    news-monitor wrote them, or anyone who can write to Redis) stops the worker before it reads
    any job, in one line, and is left where it is."""
    from rq import Queue

    env, client = redis_env
    Queue("crawls", connection=client).enqueue("os.getcwd")  # RQ's default serializer: pickle
    result = run_monitor("worker", "--burst", env_extra=env)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "holds 1 pickled jobs" in line and "rq empty crawls" in line
    assert client.llen("rq:queue:crawls") == 1


HOSTILE = [  # entries someone who can write to Redis might queue: each refused, none run
    json.dumps({"url": "http://127.0.0.1:1/x", "callback": "parse_article", "_class": "os.system"}),
    json.dumps({"url": "http://127.0.0.1:1/y", "callback": "close", "meta": {}}),
    json.dumps({"url": "http://127.0.0.1:1/z", "callback": None, "meta": {"~": "Seen", "v": {}}}),
    "not a request",
]


def test_a_shared_crawl_queues_json_and_runs_only_its_spiders_requests(tmp_path, redis_env):
    """Every request of a shared crawl goes through Redis as JSON (monitor.distributed.wire):
    listing pages, a JS pager, POST APIs with a look-up, lists built by script (their Shell in
    the request) and attachments (kept on the part that fetched their page). The documents come
    out as a crawl without Redis stores them; entries someone else queued are refused, counted,
    and run nothing; a queue holding a pickle stops the part before it reads anything."""
    from monitor.demo.server import render_sources, serve
    from monitor.demo.sites import SITES
    from monitor.demo.sites.docs.apis import install
    from tests.sites.cms_shells import ShellSite
    from tests.test_real_sites import SOURCES as SHELL_SOURCES

    env, client = redis_env
    docs = serve(SITES / "docs" / "www")
    install(docs)
    shells = serve(tmp_path / "shells")
    site = ShellSite(tmp_path / "shells").install(shells)
    path = render_sources(SITES / "docs" / "sources.yaml", docs.base, tmp_path / "docs.yaml")
    extra = SHELL_SOURCES.format(base=shells.base).removeprefix("sources:\n")
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    config = new_config()
    es = make_client(config)
    key = "monitor:share:xiling-policy:t1:requests"
    client.zadd(key, {entry: -100 for entry in HOSTILE})  # popped first
    try:
        result = run_monitor(
            "crawl", "--sources", str(path), "--shared", "t1", "--json", "--no-translate", *FAST,
            config=config, env_extra=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        parts = {s["source"]: s for s in json.loads(result.stdout)["sources"]}
        assert all(p["shared"] == "t1" and not p["errors"] for p in parts.values()), parts
        policy = parts["xiling-policy"]["shared_requests"]
        assert policy["refused"] == len(HOSTILE) and policy["kept"] >= 1, policy
        assert policy["enqueued"] >= 5 and policy["dequeued"] >= 5
        assert result.stderr.count("not a request this crawl may run") == 1, result.stderr
        assert parts["miit-shell"]["indexed"] == len(site.jpaas) == 8
        assert parts["jiangsu-shell"]["indexed"] == len(site.jpage) == 12
        assert parts["jiangsu-shell"]["lists"] == {"jpage": 1}
        assert parts["cninfo-huachen"]["indexed"] >= 1 and parts["hkex-huachen"]["indexed"] >= 1
        assert not [p for p, _ in docs.log if p.startswith(("/x", "/y", "/z"))]
        alias = config.index_name("articles")
        es.indices.refresh(index=alias)
        query = {"exists": {"field": "attachments.text"}}
        assert es.count(index=alias, query=query)["count"] >= 1  # chains completed on the part
        assert not client.exists(key)  # the queue drained
        # a pickle in the queue: refused before anything is read, and left where it is
        pickled = "monitor:share:cninfo-huachen:t2:requests"
        client.zadd(pickled, {pickle.dumps({"url": docs.base}): 0})
        again = run_monitor(
            "crawl", "--sources", str(path), "--shared", "t2", "--no-translate", *FAST,
            config=config, env_extra=env,
        )  # fmt: skip
        assert again.returncode == 2, again.stderr
        [line] = again.stderr.strip().splitlines()
        assert "holds 1 pickled requests" in line and f"redis-cli DEL {pickled}" in line
        assert client.zcard(pickled) == 1
    finally:
        docs.shutdown()
        shells.shutdown()
        delete_all(es, config)


def test_status_counts_a_shared_crawl_under_way(redis_env):
    """What `monitor status` reads of a shared crawl: requests waiting, parts joined and busy;
    one whose parts have all ended is not under way."""
    from monitor.distributed.status import shared_crawls

    _, client = redis_env
    base = "monitor:share:big:20261201T0900Z"
    client.set(f"{base}:open", 2)
    client.sadd(f"{base}:parts", "a1", "b2", "c3")
    client.set(f"{base}:busy:a1", 1, ex=30)
    client.zadd(f"{base}:requests", {b"r1": 0, b"r2": 0, b"r3": 0})
    client.set("monitor:share:old:first:open", 0)  # over: kept only for late parts
    assert shared_crawls(client) == [
        {"source": "big", "run": "20261201T0900Z", "parts": 3, "busy": 1, "waiting": 3}
    ]


def test_distributed_mode_names_an_unreachable_redis_in_one_line(tmp_path, site_server):
    config = new_config()
    path = sample_sources(tmp_path, site_server.base)
    result = run_monitor(
        "schedule", "--sources", path, "--once", config=config,
        env_extra={"MONITOR_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"},
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert result.stderr.count("\n") == 1 and "cannot reach Redis" in result.stderr


def test_status_shows_the_workers_and_the_queue_and_a_redis_restart_loses_no_job(
    tmp_path, site_server, redis_server, redis_env
):
    """`monitor status` lists a running worker (host, pid, heartbeat) and the queue; Redis
    restarted while a worker waits for jobs: the worker reconnects, and the jobs queued before
    the restart (kept by Redis's append-only file) all run."""
    env, client = redis_env
    config = new_config()
    path = sample_sources(tmp_path, site_server.base)
    running = worker(config, env)
    try:
        from redis import Redis

        deadline = time.monotonic() + 60
        while not Redis(port=redis_server.port).smembers("rq:workers"):
            assert time.monotonic() < deadline and running.poll() is None
            time.sleep(0.1)
        status = run_monitor("status", "--json", config=config, env_extra=env)
        assert status.returncode == 0, status.stderr
        queue = json.loads(status.stdout)["distributed"]
        assert queue["waiting"] == 0 and len(queue["workers"]) == 1
        assert queue["workers"][0]["pid"] == running.pid
        assert queue["workers"][0]["heartbeat_age_seconds"] < 30
        redis_server.stop()  # Redis goes away under an idle worker, and comes back
        time.sleep(2)
        redis_server.start()
        scheduler = schedule_once(path, config, env)
        queued = json.loads(scheduler.communicate(timeout=120)[0])["queued"]
        assert len([q for q in queued if q["job"]]) == 3
        redis_server.stop()  # and again, with three jobs waiting: the file keeps them
        redis_server.start()
        deadline = time.monotonic() + 180
        while sum(runs_by_source(config).values()) < 3:
            assert time.monotonic() < deadline and running.poll() is None, running.stdout
            time.sleep(1)
        assert runs_by_source(config) == {"gov0": 1, "atom0": 1, "sitemap0": 1}
        running.send_signal(signal.SIGTERM)  # a clean stop
        output = running.communicate(timeout=60)[0]
        assert running.returncode == 0, output[-4000:]
    finally:
        if running.poll() is None:
            kill_tree(running.pid)
        delete_all(make_client(config), config)


class _Running:
    """A real process with the crawl's interface (join with a timeout, send_signal)."""

    def __init__(self, seconds: float):
        self.process = subprocess.Popen(["sleep", str(seconds)])

    def join(self, timeout: float) -> bool:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)
        return self.process.poll() is not None

    def send_signal(self, signum: int) -> None:
        self.process.send_signal(signum)


def test_a_lapsed_lease_nobody_took_is_taken_again_and_a_taken_one_stops_the_crawl(redis_env):
    """A worker stalled past its lease's TTL (a crawl's start on a loaded machine): when no other
    worker took the source meanwhile, the lease is taken again and the crawl goes on; when one
    did, the crawl is stopped (SIGTERM) and the job says the lease was lost."""
    from monitor.distributed.jobs import _wait_renewing

    client = redis_env[1]
    lease = client.lock("monitor:lease:lapsed", timeout=2, blocking=False)
    assert lease.acquire()
    client.delete("monitor:lease:lapsed")  # it lapsed; nobody holds it
    crawl = _Running(1.5)
    assert _wait_renewing(crawl, lease, 2, "lapsed") is False
    assert crawl.process.returncode == 0  # it ran to its end
    assert client.get("monitor:lease:lapsed") == lease.local.token  # held again, by this one

    lease = client.lock("monitor:lease:taken", timeout=2, blocking=False)
    assert lease.acquire()
    client.set("monitor:lease:taken", "another worker's token", px=10_000)  # taken meanwhile
    crawl = _Running(30)
    assert _wait_renewing(crawl, lease, 2, "taken") is True
    assert crawl.process.returncode == -signal.SIGTERM
    assert client.get("monitor:lease:taken") == b"another worker's token"  # theirs, untouched
