"""Watch alerts on the real node, through real channels (an aiosmtpd server and a webhook receiver
that checks the signature): immediate and digest modes, cross-language matching, exactly once
under re-crawl and concurrent matchers, catch-up after a matcher that never ran, rate-limit
folding, backfill, a channel down then back, and a broken watchlist."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest

from monitor.alerts.matcher import Matcher, WatchStore
from monitor.alerts.service import WatchlistFollower
from monitor.alerts.watches import Watch, compile_watch, load_watchlist
from monitor.errors import ConfigError
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from monitor.notify.channels import load_channels
from tests.conftest import crawl_json, new_config, run_monitor
from tests.test_health_alerts import SECRET, Hook, smtp  # noqa: F401  (smtp: a fixture)

LITHO = """watches:
  - id: litho-export
    name: Lithography export controls
    all: [lithography, export controls]
    channels: [{channels}]
    mode: {mode}
{extra}"""


@pytest.fixture
def setup(tmp_path, smtp):  # noqa: F811
    smtp_port, inbox = smtp
    hook = Hook()
    config = new_config()
    channels = tmp_path / "channels.yaml"
    channels.write_text(
        "channels:\n"
        f"  - id: mail\n    type: email\n    host: 127.0.0.1\n    port: {smtp_port}\n"
        "    security: none\n    from: monitor@example.org\n    to: [analyst@example.org]\n"
        f"  - id: hook\n    type: webhook\n    url: http://127.0.0.1:{hook.server_port}/h\n"
        "    secret_env: TEST_HOOK_SECRET\n    retries: 0\n"
    )
    watchlist = tmp_path / "watchlists.yaml"
    env = {"TEST_HOOK_SECRET": SECRET, "MONITOR_WATCHLIST_FILE": str(watchlist)}
    yield config, channels, watchlist, hook, inbox, env
    hook.shutdown()
    delete_all(make_client(config), config)


def crawl(sample_sources, config, channels, env, *extra: str) -> dict:
    return crawl_json(sample_sources, config, "--channels", str(channels), *extra, env_extra=env)


def alerts(config, kind: str = "watch") -> list[dict]:
    es = make_client(config)
    alias = config.index_name("alerts")
    if not es.indices.exists_alias(name=alias):
        return []
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, query={"term": {"kind": kind}}, size=1000)["hits"]["hits"]
    return [h["_source"] | {"_id": h["_id"]} for h in hits]


def plain_text(mail) -> str:
    part = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def alertd(config, channels, env, *extra: str) -> dict:
    result = run_monitor(
        "alertd",
        "--once",
        "--json",
        "--channels",
        str(channels),
        *extra,
        config=config,
        env_extra=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.smoke
def test_immediate_alerts_cross_languages_and_come_once(sample_sources, setup):
    config, channels, watchlist, hook, inbox, env = setup
    watchlist.write_text(LITHO.format(channels="mail, hook", mode="immediate", extra=""))
    crawl(sample_sources, config, channels, env)
    raised = alerts(config)
    languages = {a["language"] for a in raised}
    assert {"zh", "en"} <= languages, raised  # the English watch found the Chinese 光刻机 page
    zh = next(a for a in raised if a["language"] == "zh")
    assert "光刻" in zh["snippet"] and zh["published_at"] < "2025"  # old, crawled today: alerted
    assert all(a["status"] == "delivered" for a in raised)
    assert len(hook.received) == len(raised) and hook.bad_signatures == 0, [
        (r["document_id"][:8], r["status"], r["attempts"], r["raised_at"]) for r in hook.received
    ]
    assert {r["document_id"] for r in hook.received} == {a["document_id"] for a in raised}
    assert len(inbox.mails) == len(raised)
    texts = [plain_text(m) for m in inbox.mails]
    text = next(t for t in texts if "光刻" in t)  # the Chinese page, its snippet marked
    assert "Source:" in text and "Link: http" in text and "Matched:" in text

    crawl(sample_sources, config, channels, env, "--full")  # a re-crawl: nothing again
    es = make_client(config)
    matcher = Matcher(es, config)
    ids = [a["document_id"] for a in raised]
    threads = [threading.Thread(target=matcher.match, args=(ids,)) for _ in range(2)]
    for t in threads:  # two matchers at once
        t.start()
    for t in threads:
        t.join()
    assert len(alerts(config)) == len(raised)
    assert len(hook.received) == len(raised) and len(inbox.mails) == len(raised)


def test_documents_a_dead_matcher_never_saw_are_caught_up(sample_sources, setup):
    """The watch is stored and the checkpoint set; then a crawl whose matcher never runs (as if
    killed between indexing and matching) stores documents; the next round catches up."""
    config, channels, watchlist, hook, inbox, env = setup
    watchlist.write_text(LITHO.format(channels="hook", mode="immediate", extra=""))
    assert alertd(config, channels, env)["matched"] == 0  # syncs the watch, starts the checkpoint
    crawl(sample_sources, config, channels, env, "-s", "MONITOR_WATCHES=False")
    assert alerts(config) == [] and hook.received == []
    round_ = alertd(config, channels, env)
    assert round_["matched"] > 0 and round_["delivered"] >= 2
    caught = alerts(config)
    assert len(caught) >= 2 and len(hook.received) == len(caught)
    assert alertd(config, channels, env)["delivered"] == 0  # overlap is harmless
    assert len(alerts(config)) == len(caught)


def test_digest_mode_sends_one_message_when_due(sample_sources, setup):
    config, channels, watchlist, hook, inbox, env = setup
    digest = "    digest: {every: daily, at: '08:00', timezone: Asia/Shanghai}\n"
    watchlist.write_text(LITHO.format(channels="mail", mode="digest", extra=digest))
    crawl(sample_sources, config, channels, env)
    queued = alerts(config)
    assert queued and all(a["status"] == "queued" for a in queued) and not inbox.mails
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1, hours=1)).isoformat()
    assert alertd(config, channels, env, "--now", tomorrow)["digests"] == 1
    assert len(inbox.mails) == 1 and f"{len(queued)} new documents" in inbox.mails[0]["Subject"]
    assert all(a["status"] == "digested" for a in alerts(config))
    assert alertd(config, channels, env, "--now", tomorrow)["digests"] == 0
    assert len(inbox.mails) == 1


def test_a_flood_is_folded_into_one_digest(sample_sources, setup):
    config, channels, watchlist, hook, inbox, env = setup
    flood = """watches:
  - id: chips
    name: Chips
    any: [semiconductor, integrated circuit, chip, 集成电路, 半导体, 芯片]
    channels: [hook]
    rate_limit: {max: 2, per: 1h, fold_after: 0s}
"""
    watchlist.write_text(flood)
    crawl(sample_sources, config, channels, env)
    raised = alerts(config)
    assert len(raised) > 4, len(raised)
    assert sum(a["status"] == "delivered" for a in raised) == 2  # two at once ...
    alertd(config, channels, env)  # (the crawl's own closing round may have sent it already)
    immediate = [r for r in hook.received if r.get("kind") == "watch"]
    digests = [r for r in hook.received if r.get("kind") == "digest"]
    assert len(immediate) == 2  # ... the rest folded into one digest, not a flood
    assert len(digests) == 1 and len(digests[0]["alert_ids"]) == len(raised) - 2
    assert all(a["status"] in ("delivered", "digested") for a in alerts(config))


def test_a_new_watch_ignores_the_backlog_unless_backfilled(sample_sources, setup):
    config, channels, watchlist, hook, inbox, env = setup
    crawl(sample_sources, config, channels, env)  # no watchlist yet
    add = ("watch", "add", "--id", "litho", "--all", "lithography", "--channel", "hook")
    args = ("--watchlist", str(watchlist), "--channels", str(channels))
    result = run_monitor(*add, *args, config=config, env_extra=env)
    assert result.returncode == 0, result.stderr
    assert alerts(config) == [] and hook.received == []  # the backlog is not news
    tested = run_monitor("watch", "test", "litho", "--json", *args, config=config, env_extra=env)
    assert json.loads(tested.stdout)["total"] >= 2 and alerts(config) == []
    result = run_monitor(
        "watch", "add", "--id", "litho2", "--all", "lithography", "--channel", "hook", "--backfill",
        *args, config=config, env_extra=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    backfilled = alerts(config)
    assert len(backfilled) == json.loads(tested.stdout)["total"]
    assert len(hook.received) == len(backfilled)
    assert load_watchlist(watchlist) and {w.id for w in load_watchlist(watchlist)} == {
        "litho",
        "litho2",
    }
    removed = run_monitor("watch", "remove", "litho", *args, config=config, env_extra=env)
    assert removed.returncode == 0 and [w.id for w in load_watchlist(watchlist)] == ["litho2"]


def test_a_channel_down_then_back_gets_each_alert_once(sample_sources, setup):
    config, channels, watchlist, hook, inbox, env = setup
    watchlist.write_text(LITHO.format(channels="hook", mode="immediate", extra=""))
    hook.up = False
    crawl(sample_sources, config, channels, env)
    pending = alerts(config)
    assert pending and all(a["status"] == "pending" for a in pending) and not hook.received
    hook.up = True
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()  # the retry is due
    alertd(config, channels, env, "--now", later)
    assert len(hook.received) == len(pending)
    alertd(config, channels, env, "--now", later)
    assert len(hook.received) == len(pending)
    assert all(a["status"] == "delivered" for a in alerts(config))


def test_an_edited_watch_is_a_new_version_that_does_not_alert_again(sample_sources, setup):
    config, channels, watchlist, hook, inbox, env = setup
    watchlist.write_text(LITHO.format(channels="hook", mode="immediate", extra=""))
    crawl(sample_sources, config, channels, env)
    first = len(alerts(config))
    watchlist.write_text(
        LITHO.format(channels="hook", mode="immediate", extra="    none: [recruitment]\n")
    )
    crawl(sample_sources, config, channels, env, "--full")
    versions = WatchStore(make_client(config), config).versions()["litho-export"]
    assert [v["version"] for v in versions] == [1, 2] and [v["active"] for v in versions] == [
        False,
        True,
    ]
    assert len(alerts(config)) == first and len(hook.received) == first


def test_a_broken_watchlist_is_refused_and_the_last_good_one_stays(tmp_path, setup, monkeypatch):
    config, channels, watchlist, hook, inbox, env = setup
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    channel_set = load_channels(channels)
    watchlist.write_text(LITHO.format(channels="hook", mode="immediate", extra=""))
    said: list[str] = []
    follower = WatchlistFollower(watchlist, channel_set, said.append)
    es = make_client(config)
    assert follower.poll(es, config) == {"litho-export": "added"}
    watchlist.write_text("watches:\n  - id: x\n    all: [a]\n    mode: weekly\n")
    assert follower.poll(es, config) is None
    assert said and "watchlists.yaml:4" in said[0] and "mode" in said[0]
    assert [a.watch.id for a in WatchStore(es, config).active()] == ["litho-export"]


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("watches:\n  - id: a\n    all: [x]\n    colour: red\n", 4, "unknown field"),
        ("watches:\n  - id: a\n    name: no terms\n", 2, "needs terms"),
        ("watches:\n  - id: a\n    all: [x]\n    channels: [nowhere]\n", 4, "unknown channel"),
        ("watches:\n  - id: a\n    all: [x]\n    near: [{terms: [x], within: 3}]\n", 4, "near"),
        (
            "watches:\n  - id: a\n    all: [x]\n    digest: {every: daily, timezone: Mars/Base}\n",
            4,
            "time zone",
        ),
        ("watches:\n  - id: a\n    all: [x]\n  - id: a\n    all: [y]\n", 4, "duplicate id"),
    ],
)
def test_watchlist_errors_point_at_the_line(tmp_path, text, line, words):
    path = tmp_path / "watchlists.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_watchlist(path, {"hook"})
    assert f"watchlists.yaml:{line}:" in str(error.value) and words in str(error.value)


def test_a_watch_compiles_to_concepts_phrases_proximity_and_filters():
    watch = Watch(
        id="w",
        name="w",
        all=("lithography",),
        none=("recruitment",),
        near=(),
        filters={"doc_types": ("policy",), "issuers": ("工业和信息化部",)},
        weights={"lithography": 2.0},
    )
    from monitor.search.glossary import load_glossary

    query = compile_watch(watch, load_glossary())["bool"]
    concept = query["must"][0]["dis_max"]  # one concept: its forms scored as one, not summed
    forms = {q["multi_match"]["query"] for q in concept["queries"] if "multi_match" in q}
    apart = [q["bool"]["must"] for q in concept["queries"] if "bool" in q]  # 光刻设备: 光刻 + 设备
    assert [m["multi_match"]["query"] for m in apart[0]] == ["光刻", "设备"]
    assert concept["boost"] == 2.0 and {"lithography", "光刻机", "光刻设备"} <= forms
    assert query["must_not"] and {"terms": {"doc_type": ["policy"]}} in query["filter"]
    alone = compile_watch(Watch(id="w", name="w", all=("lithography",), cross_language=False), None)
    assert alone["bool"]["must"][0]["multi_match"]["query"] == "lithography"  # as written only


def test_an_english_watch_meets_a_chinese_document_through_its_translation(
    argos_home, setup, monkeypatch
):
    """The watch's word is only in the document's English translation (the tiny offline model's
    output): the crawl-time match cannot see it; the translation worker's re-match does."""
    from monitor.alerts.delivery import deliver_pending
    from monitor.es.bulk import write
    from monitor.es.schema import ensure_articles_index
    from monitor.text.dates import utc_now_iso
    from monitor.translate.config import TranslateConfig
    from monitor.translate.worker import TranslationWorker, load_engines
    from tests.test_translate import sample_docs

    config, channels, watchlist, hook, inbox, env = setup
    translate = TranslateConfig(argos_home=argos_home)
    engines = load_engines(translate)
    docs = {i: d for i, d in sample_docs(3).items() if d["language"] == "zh"}
    scratch = new_config()  # learn what the model writes for these documents
    es = make_client(config)
    try:
        ensure_articles_index(es, scratch)
        write(es, scratch.index_name("articles"), [("create", i, d) for i, d in docs.items()], True)
        TranslationWorker(es, scratch, translate, engines).run()
        translated = es.search(index=scratch.index_name("articles"), size=10)["hits"]["hits"]
    finally:
        delete_all(es, scratch)
    found = next(
        (
            (h["_id"], w)
            for h in translated
            # a run of Latin letters (the tiny model's random weights write pieces, not words)
            for w in re.findall(r"[A-Za-z]{3,}", h["_source"]["text_en"])
            if w.lower() not in ("the", "and", "for", "are", "was", "with", "that", "this")
        ),
        None,
    )
    assert found, [(h["_id"], h["_source"].get("text_en")) for h in translated]  # what it wrote
    doc_id, word = found
    watchlist.write_text(
        f"watches:\n  - id: en-word\n    all: [{word}]\n    channels: [hook]\n"
        "    cross_language: true\n"
    )
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    channel_set = load_channels(channels)
    follower = WatchlistFollower(watchlist, channel_set)
    assert follower.poll(es, config) == {"en-word": "added"}
    ensure_articles_index(es, config)
    now = utc_now_iso()
    fresh = [("create", i, d | {"indexed_at": now}) for i, d in docs.items()]
    assert not [e for _, e in write(es, config.index_name("articles"), fresh, True) if e]
    matcher = Matcher(es, config)
    assert matcher.match(list(docs)) == []  # in Chinese only: nothing yet

    def rematch(ids: list[str]) -> None:
        if matcher.match(ids):
            deliver_pending(es, config, channel_set)

    TranslationWorker(es, config, translate, engines, on_translated=rematch).run()
    raised = alerts(config)
    assert doc_id in {a["document_id"] for a in raised}
    assert {r["document_id"] for r in hook.received} == {a["document_id"] for a in raised}


def test_watch_events_are_read_from_a_bare_on_key_and_checked(tmp_path):
    """`on:` (which YAML 1.1 reads as the boolean true) lists events; a wrong one names its line;
    a watch without it alerts on new documents, and keeps the spec hash it had before `on:`."""
    path = tmp_path / "watchlists.yaml"
    path.write_text("watches:\n  - id: a\n    any: [x]\n    on: [new, withdrawn]\n"
                    "  - id: b\n    any: [y]\n")  # fmt: skip
    first, second = load_watchlist(path)
    assert first.on == ("new", "withdrawn") and second.on == ("new",)
    assert "on" not in second.spec() and first.spec()["on"] == ("new", "withdrawn")
    path.write_text("watches:\n  - id: a\n    any: [x]\n    on: [gone]\n")
    with pytest.raises(ConfigError) as error:
        load_watchlist(path)
    assert "watchlists.yaml:4" in str(error.value) and "'on'" in str(error.value)


def test_a_matcher_that_dies_says_so_and_starts_again(tmp_path, caplog):
    """Anything but a client error used to end the matching thread silently for the rest of the
    crawl; now it is said, and the next batch starts the matcher again (up to MAX_RESTARTS)."""
    import logging

    from monitor.alerts.hook import MAX_RESTARTS, WatchMatcher

    bad = tmp_path / "channels.yaml"
    bad.write_text("colours: []\n", encoding="utf-8")  # a ConfigError inside the thread
    matcher = WatchMatcher(new_config(), str(bad))
    with caplog.at_level(logging.WARNING, logger="monitor.alerts.hook"):
        for n in range(MAX_RESTARTS + 2):
            matcher.submit([f"doc-{n}"])
            matcher.thread.join(20)
            assert not matcher.thread.is_alive()
    assert "watch matching stopped: ConfigError" in caplog.text
    assert matcher.totals["restarts"] == MAX_RESTARTS  # then it stays down, said each time
    assert f"restarted ({MAX_RESTARTS} of {MAX_RESTARTS})" in caplog.text
    matcher.finish()


def test_reprints_of_one_story_alert_once_per_watch_and_join_its_alert(tmp_path):
    """Two reprints of a story in the batch of its first document and one in a later batch: one
    alert, naming the first document, the three reprints `also_in` it; matching them all again
    (a re-crawl, a translation's re-match) changes nothing; another story alerts on its own."""
    from monitor.alerts.delivery import watch_message
    from monitor.es.bulk import write
    from monitor.es.schema import ensure_articles_index
    from monitor.text.dates import utc_now_iso

    config = new_config()
    es = make_client(config)
    try:
        ensure_articles_index(es, config)
        articles = config.index_name("articles")
        store = WatchStore(es, config)
        store.sync([Watch(id="gallium", name="Gallium", all=("gallium",))], None)
        now = utc_now_iso()

        def doc(doc_id: str, story: str, source: str) -> tuple[str, str, dict]:
            text = f"Gallium exporters need licences, {source} reports."
            return ("create", doc_id, {"title": f"Gallium licences ({source})", "text": text,
                                       "language": "en", "source_id": source, "story_id": story,
                                       "url": f"http://{source}.example/{doc_id}",
                                       "indexed_at": now})  # fmt: skip

        first = [doc("a1", "a1", "wire"), doc("a2", "a1", "paper"), doc("a3", "a1", "daily")]
        later = [doc("a4", "a1", "weekly"), doc("b1", "b1", "other")]
        assert not [e for _, e in write(es, articles, [*reversed(first), *later], True) if e]
        matcher = Matcher(es, config)
        created = matcher.match(["a3", "a2", "a1"])
        assert [(a["document_id"], len(a["also_in"])) for a in created] == [("a1", 2)]
        said = next(line for line in watch_message(created[0]).text.splitlines()
                    if line.startswith("Also in: "))  # fmt: skip
        assert "paper http://paper.example/a2" in said and "daily http://daily.example/a3" in said
        assert [a["document_id"] for a in matcher.match(["a4", "b1"])] == ["b1"]
        for _ in range(2):
            assert matcher.match(["a1", "a2", "a3", "a4", "b1"]) == []
        stored = {a["document_id"]: a for a in alerts(config)}
        assert set(stored) == {"a1", "b1"}
        assert sorted(m["document_id"] for m in stored["a1"]["also_in"]) == ["a2", "a3", "a4"]
        assert {m["source_id"] for m in stored["a1"]["also_in"]} == {"paper", "daily", "weekly"}
        assert "also_in" not in stored["b1"] or stored["b1"]["also_in"] == []
        assert matcher.stats["joined"] == 1
    finally:
        delete_all(es, config)
