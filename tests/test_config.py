"""Configuration errors name the file, the line, the source and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.es.config import EsConfig
from monitor.sources import load_sources, select_sources
from monitor.sources.schema import ALL_WORKERS

pytestmark = pytest.mark.fast  # no Elasticsearch, Redis or browser

GOOD = """\
sources:
  - id: miit-policy
    type: listing
    urls: https://www.miit.gov.cn/zwgk/zcwj/index.html
    links: "ul.list li a"
    pages: {pattern: "index_{n}.html", count: 5}
    language: zh
    encoding: gbk
  - id: feed-one
    type: feed
    urls: [https://example.com/rss.xml, https://example.com/rss2.xml]
    enabled: false
"""


def write(tmp_path, text: str):
    path = tmp_path / "sources.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_for(tmp_path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_sources(write(tmp_path, text))
    return str(info.value)


def test_valid_sources_load_typed(tmp_path):
    sources = load_sources(write(tmp_path, GOOD))
    policy, feed = sources
    assert policy.pages.urls(policy.urls[0])[:2] == [
        "https://www.miit.gov.cn/zwgk/zcwj/index_1.html",
        "https://www.miit.gov.cn/zwgk/zcwj/index_2.html",
    ]
    assert policy.encoding == "gbk" and policy.language == "zh"
    assert feed.urls == ("https://example.com/rss.xml", "https://example.com/rss2.xml")
    assert [s.id for s in select_sources(sources)] == ["miit-policy"]  # disabled one left out
    assert [s.id for s in select_sources(sources, ["feed-one"])] == ["feed-one"]
    assert policy.distributed == 0  # one worker, unless the source says otherwise
    split = GOOD.replace("    language: zh\n", "    language: zh\n    distributed: 3\n")
    assert load_sources(write(tmp_path, split))[0].distributed == 3
    every = GOOD.replace("    language: zh\n", "    language: zh\n    distributed: true\n")
    assert load_sources(write(tmp_path, every))[0].distributed == ALL_WORKERS


@pytest.mark.parametrize(
    "replace, needle, line",
    [
        (
            "type: listing",
            "type: rss",
            (":3:", "field 'type'", "must be one of feed, sitemap, listing", "'rss'"),
        ),
        ("    language: zh\n", "    language: chinese\n", (":7:", "field 'language'", "'chinese'")),
        ("    encoding: gbk\n", "    encoding: klingon\n", (":8:", "unknown character encoding")),
        (
            'links: "ul.list li a"',
            'links: "ul.list li a["',
            (":5:", "field 'links'", "invalid CSS selector"),
        ),
        ("    language: zh\n", "    langauge: zh\n", (":7:", "field 'langauge'", "unknown field")),
        (
            '{pattern: "index_{n}.html", count: 5}',
            '{pattern: "index.html", count: 5}',
            (":6:", "{n}"),
        ),
        (
            "urls: https://www.miit.gov.cn/zwgk/zcwj/index.html",
            "urls: ftp://x/y",
            (":4:", "not an http(s) URL"),
        ),
        (
            "    language: zh\n",
            "    language: zh\n    distributed: many\n",
            (":8:", "field 'distributed'", "a number of workers", "'many'"),
        ),
    ],
)
def test_errors_point_at_the_line_and_field(tmp_path, replace, needle, line):
    message = error_for(tmp_path, GOOD.replace(replace, needle))
    assert message.startswith(str(tmp_path / "sources.yaml") + ":")  # file:line: message
    assert "source 'miit-policy'" in message
    for part in line:
        assert part in message, message


def test_listing_without_pager_and_duplicate_ids(tmp_path):
    no_pager = GOOD.replace('    pages: {pattern: "index_{n}.html", count: 5}\n', "")
    assert "needs 'next'" in error_for(tmp_path, no_pager)
    duplicate = GOOD.replace("id: feed-one", "id: miit-policy")
    message = error_for(tmp_path, duplicate)
    assert ":9:" in message and "duplicate id (first defined on line 2)" in message


def test_yaml_syntax_error_has_a_line(tmp_path):
    message = error_for(tmp_path, "sources:\n  - id: a\n    urls: [unclosed\n")
    assert "invalid YAML" in message and (":3:" in message or ":4:" in message)


def test_unknown_source_id_lists_the_known_ones(tmp_path):
    sources = load_sources(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="unknown source id.*nope.*known: miit-policy, feed-one"):
        select_sources(sources, ["nope"])


def test_es_config_from_environment_and_secrets(monkeypatch):
    monkeypatch.setenv("MONITOR_ES_URL", "https://elastic:s3cret@es.example.org:9243")
    monkeypatch.setenv("MONITOR_ES_API_KEY", "top-secret-key")
    config = EsConfig.from_env()
    assert not config.local
    assert config.display_url == "https://***@es.example.org:9243"
    assert "top-secret-key" not in repr(config) and "s3cret" not in config.display_url


@pytest.mark.parametrize(
    "name, value, needle",
    [
        ("MONITOR_ES_PORT", "ninety", "MONITOR_ES_PORT: expected a TCP port"),
        ("MONITOR_ES_URL", "es.example.org:9200", r"MONITOR_ES_URL: expected an http\(s\) URL"),
        ("MONITOR_INDEX_PREFIX", "Bad Prefix", "MONITOR_INDEX_PREFIX"),
        ("MONITOR_ES_CA_CERTS", "/nonexistent/ca.pem", "CA file not found"),
    ],
)
def test_bad_environment_names_the_variable(monkeypatch, name, value, needle):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=needle):
        EsConfig.from_env()


def test_bad_crawl_setting_names_the_setting():
    from monitor.crawl.options import CrawlSettings, project_settings

    with pytest.raises(
        ConfigError, match="setting MONITOR_BULK_SIZE: expected a whole number >= 1, got 'lots'"
    ):
        CrawlSettings.from_settings(project_settings({"MONITOR_BULK_SIZE": "lots"}))
    with pytest.raises(ConfigError, match="MONITOR_EXTRACT_MODE: must be one of process, thread"):
        CrawlSettings.from_settings(project_settings({"MONITOR_EXTRACT_MODE": "gpu"}))


def test_a_port_left_in_time_wait_by_a_stopped_node_counts_as_free():
    """`monitor es stop` then `start` within a minute: the old node's TIME_WAIT sockets on its
    port must not make it look taken; a program listening there must."""
    import socket

    from monitor.es.node import port_free

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    assert not port_free(port)  # listening: taken
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end of the connection is in TIME_WAIT
    client.recv(1)
    client.close()
    server.close()
    states = Path("/proc/net/tcp").read_text().upper()
    assert f":{port:04X} " in states  # the TIME_WAIT entry is there
    assert port_free(port)


def test_a_crawl_setting_may_come_from_the_environment(monkeypatch):
    """`MONITOR_PRIVATE_NETWORKS=127.0.0.1/32 monitor crawl` used to be ignored (only `-s` was
    read): every MONITOR_* setting now comes from the environment too, and `-s` wins."""
    import importlib

    import monitor.settings
    from monitor.crawl.options import CrawlSettings, project_settings

    monkeypatch.setenv("MONITOR_PRIVATE_NETWORKS", "127.0.0.1/32,10.0.0.0/8")
    monkeypatch.setenv("MONITOR_BULK_SIZE", "7")
    try:
        importlib.reload(monitor.settings)
        crawl = CrawlSettings.from_settings(project_settings())
        assert [str(n) for n in crawl.private_networks] == ["127.0.0.1/32", "10.0.0.0/8"]
        assert crawl.bulk_size == 7
        wins = CrawlSettings.from_settings(project_settings({"MONITOR_BULK_SIZE": "9"}))
        assert wins.bulk_size == 9
        assert monitor.settings.DEFAULTS["MONITOR_BULK_SIZE"] == 100  # the default, kept
    finally:
        monkeypatch.delenv("MONITOR_PRIVATE_NETWORKS")
        monkeypatch.delenv("MONITOR_BULK_SIZE")
        importlib.reload(monitor.settings)


def _names_in_code() -> set[str]:
    """Every MONITOR_* name the code reads or writes (docstring examples of names a user picks
    for a channel's secret aside)."""
    import re

    root = Path(__file__).resolve().parent.parent
    found: set[str] = set()
    for folder in ("monitor", "pipelines", "spiders"):
        for path in (root / folder).rglob("*.py"):
            found |= set(re.findall(r"\bMONITOR_[A-Z][A-Z_]*[A-Z]\b", path.read_text("utf-8")))
    return found - {"MONITOR_SMTP_PASSWORD", "MONITOR_WEBHOOK_SECRET"}


def test_every_setting_the_code_names_is_in_the_registry():
    from monitor import registry

    assert sorted(_names_in_code() - set(registry.BY_NAME)) == []
    assert sorted(set(registry.BY_NAME) - _names_in_code()) == []  # none registered for nothing


def test_the_registry_defaults_are_the_ones_the_consumers_use(monkeypatch):
    """One default per setting: the connection's, the translation's and the crawl's typed
    settings start from the registry's values."""
    from dataclasses import fields

    from monitor import registry
    from monitor.crawl.options import CrawlSettings, project_settings
    from monitor.translate.config import TranslateConfig

    for name in registry.BY_NAME:
        monkeypatch.delenv(name, raising=False)
    for config in (EsConfig(), TranslateConfig()):
        for attr in fields(config):
            name = type(config).ENV.get(attr.name)
            if name and attr.name not in ("home", "argos_home"):
                assert registry.get(name).default == getattr(config, attr.name), name
    crawl = CrawlSettings.from_settings(project_settings())
    assert crawl.story_threshold == registry.get("MONITOR_STORY_THRESHOLD").default
    assert crawl.bulk_size == registry.get("MONITOR_BULK_SIZE").default
    assert crawl.warc_max_bytes == registry.get("MONITOR_WARC_MAX_MB").default * 1024 * 1024


def test_the_configuration_docs_are_generated_from_the_registry():
    from monitor import registry

    text = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
    block = text.split("<!-- settings:begin -->\n", 1)[1].split("<!-- settings:end -->", 1)[0]
    assert block == registry.markdown(), "run: python -m monitor.registry (docs/configuration.md)"


def test_monitor_config_says_each_value_and_where_it_came_from():
    import json
    import re

    from tests.conftest import run_monitor

    env = {"MONITOR_PRIVATE_NETWORKS": "127.0.0.1/32", "MONITOR_ES_API_KEY": "sekrit-key-42"}
    done = run_monitor("config", "--json", "-s", "MONITOR_BULK_SIZE=10", env_extra=env)
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert (rows["MONITOR_BULK_SIZE"]["value"], rows["MONITOR_BULK_SIZE"]["origin"]) == ("10", "-s")
    assert rows["MONITOR_PRIVATE_NETWORKS"]["origin"] == "environment"
    assert rows["MONITOR_STORY_THRESHOLD"]["origin"] == "default"
    assert rows["MONITOR_ES_API_KEY"]["value"] == "***"
    assert "sekrit" not in done.stdout + done.stderr
    # the environment cannot set a crawl setting `-s` gives: -s wins
    done = run_monitor("config", "--changed", "-s", "MONITOR_BULK_SIZE=3",
                       env_extra={"MONITOR_BULK_SIZE": "8"})  # fmt: skip
    assert re.search(r"^MONITOR_BULK_SIZE +3  \[-s\]$", done.stdout, re.M), done.stdout
    bad = run_monitor("config", env_extra={"MONITOR_STORY_THRESHOLD": "2"})
    assert bad.returncode == 2
    assert (
        bad.stderr.strip().splitlines()[-1].startswith("monitor: setting MONITOR_STORY_THRESHOLD")
    )


@pytest.mark.parametrize("version", ["8.10.0", "9.0.0", "8.19", "latest"])
def test_the_local_node_version_is_an_8x_from_the_oldest_supported(version):
    with pytest.raises(ConfigError, match="MONITOR_ES_VERSION: expected an Elasticsearch version"):
        EsConfig.from_env({"MONITOR_ES_VERSION": version})
    assert EsConfig.from_env({"MONITOR_ES_VERSION": "8.14.3"}).local_version == "8.14.3"


def test_an_older_node_than_the_last_one_on_the_data_gets_a_folder_of_its_own(tmp_path):
    """Elasticsearch upgrades its data in place and cannot go back: a newer version takes
    `data/` over, an older one than the version that last ran there gets `data-<version>/`."""
    from monitor.es.node import LocalNode

    def data(version: str) -> str:
        config = EsConfig.from_env({"MONITOR_HOME": str(tmp_path), "MONITOR_ES_VERSION": version})
        return LocalNode(config).data.name

    assert data("8.14.3") == "data"  # nothing ran yet
    (tmp_path / "elasticsearch").mkdir()
    (tmp_path / "elasticsearch" / "data.version").write_text("8.14.3")
    assert data("8.19.21") == "data"
    (tmp_path / "elasticsearch" / "data.version").write_text("8.19.21")
    assert (data("8.19.21"), data("8.14.3")) == ("data", "data-8.14.3")


def test_secured_cluster_settings(tmp_path):
    """A fingerprint in any usual spelling, secrets from files (never in repr), a Cloud ID in
    place of a URL, and what cannot go together."""
    import base64

    from monitor.es.client import make_client

    colons = ":".join(["AB"] * 32)
    assert EsConfig.from_env({"MONITOR_ES_FINGERPRINT": colons}).fingerprint == "ab" * 32
    with pytest.raises(ConfigError, match="MONITOR_ES_FINGERPRINT: expected a SHA-256"):
        EsConfig.from_env({"MONITOR_ES_FINGERPRINT": "abc"})
    (tmp_path / "key").write_text("  the-key-42\n")
    config = EsConfig.from_env({"MONITOR_ES_URL": "https://es.example:9243",
                                "MONITOR_ES_API_KEY_FILE": str(tmp_path / "key")})  # fmt: skip
    assert config.api_key == "the-key-42" and "the-key-42" not in repr(config)
    with pytest.raises(ConfigError, match="MONITOR_ES_PASSWORD_FILE: cannot read"):
        EsConfig.from_env({"MONITOR_ES_PASSWORD_FILE": str(tmp_path / "missing")})
    cloud = "prod:" + base64.b64encode(b"europe-west1.gcp.cloud.es.io$abc123$def456").decode()
    config = EsConfig.from_env({"MONITOR_ES_CLOUD_ID": cloud})
    assert not config.local and config.display_url == "Elastic Cloud deployment 'prod'"
    [node] = make_client(config).transport.node_pool.all()
    assert node.base_url == "https://abc123.europe-west1.gcp.cloud.es.io:443"
    with pytest.raises(ConfigError, match="MONITOR_ES_URL or MONITOR_ES_CLOUD_ID, not both"):
        EsConfig.from_env({"MONITOR_ES_CLOUD_ID": cloud, "MONITOR_ES_URL": "https://a:9200"})
    with pytest.raises(ConfigError, match="MONITOR_ES_CA_CERTS is set but MONITOR_ES_URL is plain"):
        (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
        ca = str(tmp_path / "ca.pem")
        EsConfig.from_env({"MONITOR_ES_CA_CERTS": ca, "MONITOR_ES_URL": "http://a:9200"})
