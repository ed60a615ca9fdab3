"""The `monitor` command line. Thin: parses options, calls the library, maps domain errors to one
stderr line and a documented exit code (see README, "Exit codes")."""

from __future__ import annotations

import json
import re
import sys

import click

from monitor import __version__
from monitor.cliutil import CHANNELS_OPTION, SOURCES_OPTION, domain_errors, emit_json, info
from monitor.config import EsConfig


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
def main() -> None:
    """news-monitor: crawl Chinese and English news and policy documents into Elasticsearch."""


# --- monitor es -----------------------------------------------------------------------------------


@main.group()
def es() -> None:
    """Manage the local Elasticsearch node (used when MONITOR_ES_URL is not set)."""


@es.command("start")
@domain_errors
def es_start() -> None:
    """Install (first time) and start the local node; wait until it is healthy."""
    from monitor.es.node import LocalNode

    node = LocalNode(EsConfig.from_env())
    node.start(log=info)
    info(f"Elasticsearch is running at {node.config.effective_url} (pid {node.pid()})")


@es.command("stop")
@domain_errors
def es_stop() -> None:
    """Stop the local node cleanly."""
    from monitor.es.node import LocalNode

    stopped = LocalNode(EsConfig.from_env()).stop()
    info("Elasticsearch stopped" if stopped else "Elasticsearch was not running")


@es.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@domain_errors
def es_status(as_json: bool) -> None:
    """Where Elasticsearch is, whether it runs, and how many documents it holds."""
    from monitor.es.status import cluster_status

    status = cluster_status(EsConfig.from_env())
    if as_json:
        emit_json(status)
        return
    state = "running" if status["running"] else "not running"
    click.echo(f"Elasticsearch {status['url']} ({status['kind']}): {state}")
    for key in ("version", "health", "pid", "home"):
        if status.get(key) is not None:
            click.echo(f"  {key}: {status[key]}")
    for name, count in status.get("documents", {}).items():
        click.echo(f"  {name}: {count} documents")
    if status.get("error"):
        click.echo(f"  error: {status['error']}")


# --- monitor crawl / sources ----------------------------------------------------------------------


def _parse_settings(pairs: tuple[str, ...]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="-s")
        settings[name] = value
    return settings


@main.command()
@SOURCES_OPTION
@click.option(
    "--source",
    "source_ids",
    multiple=True,
    metavar="ID",
    help="Crawl only this source (repeatable).",
)
@click.option(
    "-s",
    "--set",
    "setting_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy or news-monitor setting (repeatable), e.g. -s DOWNLOAD_DELAY=0.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's INFO log, not only warnings.")
@click.option(
    "--no-translate", is_flag=True, help="Do not run a translation worker beside the crawl."
)
@CHANNELS_OPTION
@click.option(
    "--full",
    is_flag=True,
    help="Fetch every page again, ignoring the seen-record (which is still updated).",
)
@domain_errors
def crawl(
    sources_file: str,
    source_ids: tuple[str, ...],
    setting_pairs: tuple[str, ...],
    as_json: bool,
    verbose: bool,
    no_translate: bool,
    full: bool,
    channels_file: str,
) -> None:
    """Crawl the configured sources into Elasticsearch; print a per-source summary.

    Incremental: article pages seen before are not fetched again, and listing pages, feeds and
    sitemaps are fetched with conditional GETs (--full turns this off). Progress goes to stderr
    every few seconds. Exits with 5 when every source failed.
    """
    from monitor.config import load_sources, select_sources
    from monitor.errors import CrawlFailed
    from monitor.runner import run_crawl

    sources = select_sources(load_sources(sources_file), list(source_ids))
    if not sources:
        raise click.UsageError(f"no enabled sources in {sources_file}")
    overrides = {
        "LOG_LEVEL": "INFO" if verbose else "WARNING",
        "MONITOR_SOURCES_FILE": sources_file,
        "MONITOR_CHANNELS_FILE": channels_file,
        **_parse_settings(setting_pairs),
    }
    if full:
        overrides["MONITOR_INCREMENTAL"] = False
    from monitor.crawl_settings import check_overrides

    check_overrides(overrides.items())
    from monitor.translate.sidecar import TranslationSidecar

    sidecar = None if no_translate else TranslationSidecar.start()
    outcome = None
    try:
        outcome = run_crawl(sources, overrides, log=info)
    finally:
        if sidecar is None:
            translation = None
        elif outcome is None or outcome.stopped_by is not None:
            translation = sidecar.stop()  # stopping: do not drain the backlog now
        else:
            translation = sidecar.finish()
    results = outcome.sources
    if as_json:
        emit_json({"sources": [r.as_dict() for r in results]})
    else:
        columns = ("pages", "indexed", "unchanged", "known", "skipped", "errors")
        header = f"{'source':<28}" + "".join(f" {c:>9}" for c in columns)
        click.echo(header)
        for r in results:
            note = f"  FAILED: {r.why_failed}" if r.failed else ""
            note = "  interrupted" if r.interrupted else note
            click.echo(f"{r.source:<28}" + "".join(f" {getattr(r, c):>9}" for c in columns) + note)
    if translation is not None and not as_json:
        click.echo(translation.summary)
    elif translation is not None:
        info(translation.summary)
    if outcome.stopped_by is not None:
        from monitor.errors import Interrupted

        raise Interrupted(
            outcome.stopped_by,
            "stopped before the end; what was stored is kept, and the next run picks up the rest",
        )
    if all(r.failed for r in results):
        raise CrawlFailed("every source failed; run with --verbose to see why")


# --- monitor extract ------------------------------------------------------------------------------


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--url", help="The page's URL (resolves links, names the site). Default: the file path."
)
@click.option("--language", "language_hint", help="Language hint, as a source's `language`.")
@click.option("--encoding", help="Decode the files with this encoding, as a source's `encoding`.")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per input file, one per line."
)
@domain_errors
def extract(
    files: tuple[str, ...],
    url: str | None,
    language_hint: str | None,
    encoding: str | None,
    as_json: bool,
) -> None:
    """Extract title, text, date, authors and language from saved HTML files (.html or .html.gz),
    exactly as the crawl does."""
    import gzip
    from pathlib import Path

    from monitor.text.analyse import analyse_page

    for path in files:
        body = Path(path).read_bytes()
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        page_url = url or Path(path).resolve().as_uri()
        doc = analyse_page(body, page_url, encoding=encoding, language_hint=language_hint)
        record = {
            "path": path,
            "url": page_url,
            **{
                k: doc[k]
                for k in (
                    "title",
                    "text",
                    "published_at",
                    "language",
                    "authors",
                    "site",
                    "canonical_url",
                )
            },
        }
        if as_json:
            emit_json(record)
            continue
        click.echo(f"== {path}")
        for key in ("title", "published_at", "language", "authors", "site"):
            click.echo(f"{key}: {record[key]}")
        click.echo(f"\n{record['text']}\n")


# --- monitor search -------------------------------------------------------------------------------


@main.command("search")
@click.argument("query")
@click.option(
    "--lang", "language", type=click.Choice(["zh", "en"]), help="Only documents in this language."
)
@click.option("--source", help="Only documents of this source id.")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after (YYYY-MM-DD)."
)
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before (YYYY-MM-DD)."
)
@click.option(
    "--size", default=10, show_default=True, type=click.IntRange(1, 1000), help="Number of hits."
)
@click.option("--no-expand", is_flag=True, help="Do not add the other language's terms.")
@click.option(
    "--explain", is_flag=True, help="Show the expanded terms and the Elasticsearch query."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with a `hits` list.")
@domain_errors
def search_cmd(
    query: str,
    language: str | None,
    source: str | None,
    since,
    until,
    size: int,
    no_expand: bool,
    explain: bool,
    as_json: bool,
) -> None:
    """Search the indexed articles in Chinese or English: ranked hits, highlighted snippets.

    An English query also searches Chinese documents with the Chinese terms that the glossary (or
    CC-CEDICT) gives for its words, and their English translations; a Chinese query likewise."""
    from monitor.errors import SearchBackendError
    from monitor.es.client import call, make_client
    from monitor.es.node import ensure_available
    from monitor.glossary import load_glossary
    from monitor.search import SearchRequest, build_query, search

    config = EsConfig.from_env()
    ensure_available(config, log=info)
    es = make_client(config)
    alias = config.index_name("articles")
    if not call(config, lambda: es.indices.exists_alias(name=alias)):
        raise SearchBackendError(
            f"no index {alias!r} at {config.display_url} yet: run `monitor crawl` first"
        )
    expansions = () if no_expand else tuple(load_glossary().expand(query))
    dates = (since and since.date(), until and until.date())
    request = SearchRequest(query, language, source, *dates, size, expansions)
    result = call(config, lambda: search(es, alias, request))
    expanded = [
        {"from": e.source, "terms": list(e.terms), "language": e.language, "origin": e.origin}
        for e in expansions
    ]
    if as_json:
        emit_json({"query": query, **({"expanded": expanded} if explain else {}), **result})
        return
    if explain:
        for e in expanded:
            terms = ", ".join(e["terms"])
            click.echo(f"expanded {e['from']!r} → {terms} ({e['language']}, {e['origin']})")
        click.echo(json.dumps(build_query(request)["query"], ensure_ascii=False, indent=1))
    click.echo(
        f"{result['total']} documents match {query!r}"
        + ("" if result["total"] <= size else f"; top {size}:")
    )
    color = sys.stdout.isatty()
    for rank, hit in enumerate(result["hits"], 1):
        date = (hit["published_at"] or "")[:10] or "undated"
        click.echo(f"\n{rank:>2}. {click.style(hit['title'] or '(no title)', bold=True)}")
        if hit["title_en"]:
            click.echo(f"    {hit['title_en']}")
        click.echo(
            f"    {hit['source_id']} · {hit['language']} · {date} · score {hit['score']:.2f}"
        )
        click.echo(f"    {hit['url']}")
        snippet = hit["snippet"]
        snippet = re.sub(
            r"<em>(.*?)</em>",
            (lambda m: click.style(m[1], bold=True)) if color else r"*\1*",
            snippet,
        )
        if snippet:
            click.echo(f"    {snippet}")


# --- monitor translate / models / status ----------------------------------------------------------


@main.command("translate")
@click.option(
    "--follow", is_flag=True, help="Keep polling for new pending documents (Ctrl-C stops)."
)
@click.option(
    "--stop-on-eof", is_flag=True, hidden=True, help="With --follow: drain and exit at EOF."
)
@click.option("--json", "as_json", is_flag=True, help="Print the totals as one JSON object.")
@domain_errors
def translate_cmd(follow: bool, stop_on_eof: bool, as_json: bool) -> None:
    """Translate pending documents (Chinese → English; English → Chinese where a model is
    installed) in batches; several workers can share the backlog."""
    import threading

    from monitor.config import TranslateConfig
    from monitor.es.client import call, make_client
    from monitor.es.node import ensure_available
    from monitor.es.schema import ensure_articles_index
    from monitor.translate.worker import TranslationWorker, load_engines

    es_config, config = EsConfig.from_env(), TranslateConfig.from_env()
    ensure_available(es_config, log=info)
    es = make_client(es_config)
    call(es_config, lambda: ensure_articles_index(es, es_config))
    engines = load_engines(config)
    if not engines:
        info(
            "no translation model installed: documents stay searchable in their own language; "
            "install one with `monitor models install zh en`"
        )
    stop = threading.Event()
    if stop_on_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    worker = TranslationWorker(es, es_config, config, engines)

    def progress(totals) -> None:
        info(f"translated {totals['translated']} documents ...")

    try:
        totals = call(es_config, lambda: worker.run(follow=follow, stop=stop, progress=progress))
    except KeyboardInterrupt:
        totals = worker.totals
    stats = {name: dict(engine.stats) for name, engine in engines.items()}
    from monitor.translate.status import translation_status

    waiting = translation_status(es, es_config, config)["waiting_for_model"]
    if as_json:
        emit_json({"totals": dict(totals), "engines": stats, "waiting_for_model": waiting})
    else:
        click.echo(
            f"translated {totals['translated']}, failed {totals['failed']}, "
            f"truncated {totals['truncated']}"
        )
        for wait in waiting:
            click.echo(
                f"{wait['documents']} {wait['language']} documents wait for a model: "
                f"run `{wait['command']}`"
            )


@main.group()
def models() -> None:
    """Manage argostranslate models (the only step that may use the network)."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@domain_errors
def models_list(as_json: bool) -> None:
    """The installed translation packages."""
    from monitor.config import TranslateConfig
    from monitor.translate.argos import installed_packages

    packages = installed_packages(TranslateConfig.from_env())
    if as_json:
        emit_json(
            {
                "packages": [
                    {
                        "from": p.from_code,
                        "to": p.to_code,
                        "version": p.version,
                        "path": str(p.path),
                        "offline": p.offline_splitter,
                    }
                    for p in packages
                ]
            }
        )
        return
    if not packages:
        click.echo("no translation packages installed; e.g. `monitor models install zh en`")
    for p in packages:
        click.echo(
            f"{p.from_code} → {p.to_code}  {p.version:<8} {p.path}"
            + ("" if p.offline_splitter else "  (no offline sentence splitter!)")
        )


@models.command("install")
@click.argument("from_code")
@click.argument("to_code")
@domain_errors
def models_install(from_code: str, to_code: str) -> None:
    """Download FROM→TO from the Argos package index and install it (needs a network)."""
    from monitor.config import TranslateConfig
    from monitor.translate.models import install

    package = install(TranslateConfig.from_env(), from_code, to_code, log=info)
    info(f"installed {package.name} in {package.path}")


@models.command("install-file")
@click.argument("path", type=click.Path(dir_okay=False))
@domain_errors
def models_install_file(path: str) -> None:
    """Install a downloaded .argosmodel file."""
    from pathlib import Path

    from monitor.config import TranslateConfig
    from monitor.translate.models import install_file

    package = install_file(TranslateConfig.from_env(), Path(path), log=info)
    info(f"installed {package.name} in {package.path}")


@models.command("remove")
@click.argument("from_code")
@click.argument("to_code")
@domain_errors
def models_remove(from_code: str, to_code: str) -> None:
    """Uninstall the FROM→TO package."""
    from monitor.config import TranslateConfig
    from monitor.translate.models import remove

    package = remove(TranslateConfig.from_env(), from_code, to_code)
    info(f"removed {package.name}")


@main.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@domain_errors
def status_cmd(as_json: bool) -> None:
    """Per-source health (ok, silent, broken), documents per language and translation state, and
    what waits for a model."""
    from monitor.config import TranslateConfig
    from monitor.es.client import call, make_client
    from monitor.es.node import ensure_available
    from monitor.health import source_health
    from monitor.translate.status import translation_status

    es_config = EsConfig.from_env()
    ensure_available(es_config, log=info)
    es = make_client(es_config)
    report = call(es_config, lambda: translation_status(es, es_config, TranslateConfig.from_env()))
    report["sources"] = call(es_config, lambda: source_health(es, es_config))
    if as_json:
        emit_json(report)
        return
    if report["sources"]:
        click.echo(
            f"{'source':<26} {'state':<10} {'24h':>5} {'7d':>5} {'errors/page':>11}  last success"
        )
    for h in report["sources"]:
        rate = "-" if h["error_rate"] is None else f"{h['error_rate']:.3f}"
        click.echo(
            f"{h['source']:<26} {h['state']:<10} {h['documents_24h']:>5} {h['documents_7d']:>5} "
            f"{rate:>11}  {(h['last_success'] or 'never')[:16]}"
            + (f"  ({h['reason']})" if h["reason"] else "")
        )
    click.echo(f"{report['documents']} documents in {report['index']}")
    for language, states in report["by_language"].items():
        click.echo(f"  {language}: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    for wait in report["waiting_for_model"]:
        click.echo(
            f"{wait['documents']} {wait['language']} documents wait for a {wait['language']}→"
            f"{wait['target']} model: run `{wait['command']}`"
        )


# --- monitor kibana -------------------------------------------------------------------------------


@main.group()
def kibana() -> None:
    """Kibana 8 saved objects: data views, saved searches, a dashboard."""


@kibana.command("export")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file, not stdout.")
@domain_errors
def kibana_export(out: str | None) -> None:
    """Write the saved objects as NDJSON (Kibana: Stack Management → Saved objects → Import)."""
    from pathlib import Path

    from monitor.kibana import saved_objects, to_ndjson

    ndjson = to_ndjson(saved_objects(EsConfig.from_env()))
    if out:
        Path(out).write_text(ndjson, encoding="utf-8")
        info(f"wrote {ndjson.count(chr(10))} saved objects to {out}")
    else:
        click.echo(ndjson, nl=False)


@kibana.command("import")
@click.option("--url", required=True, help="Kibana's URL, e.g. http://localhost:5601")
@click.option(
    "--api-key", envvar="MONITOR_KIBANA_API_KEY", help="API key (or MONITOR_KIBANA_API_KEY)."
)
@click.option(
    "--user", envvar="MONITOR_KIBANA_USER", help="Basic auth user (or MONITOR_KIBANA_USER)."
)
@click.option("--password", envvar="MONITOR_KIBANA_PASSWORD", help="Basic auth password.")
@domain_errors
def kibana_import(url: str, api_key: str | None, user: str | None, password: str | None) -> None:
    """Load the saved objects into Kibana through its saved objects API (overwriting)."""
    from monitor.kibana import import_objects, saved_objects, to_ndjson

    auth = (user, password or "") if user else None
    result = import_objects(url, to_ndjson(saved_objects(EsConfig.from_env())), api_key, auth)
    info(f"imported {result.get('successCount', 0)} saved objects into {url}")


# --- monitor schedule -----------------------------------------------------------------------------


@main.command("schedule")
@SOURCES_OPTION
@click.option("--once", is_flag=True, help="Crawl what is due now, then exit (for cron).")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    envvar="MONITOR_SCHEDULE_CONCURRENCY",
    default=2,
    show_default=True,
    help="Crawls at once (MONITOR_SCHEDULE_CONCURRENCY).",
)
@click.option("--now", "now_text", hidden=True, help="Pretend it is this time (ISO 8601; tests).")
@click.option(
    "-s",
    "--set",
    "setting_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Setting passed to every crawl (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="With --once: print the outcomes as JSON.")
@domain_errors
def schedule_cmd(
    sources_file: str,
    once: bool,
    concurrency: int,
    now_text: str | None,
    setting_pairs: tuple[str, ...],
    as_json: bool,
) -> None:
    """Run scheduled crawls as a service (logs to stdout; SIGTERM stops it cleanly)."""
    import logging
    from datetime import datetime, timezone

    from monitor.config import load_sources, select_sources
    from monitor.es.client import call, make_client
    from monitor.es.node import ensure_available
    from monitor.health import recent_runs
    from monitor.schedule import Runner, run_due_once, serve

    logging.basicConfig(
        stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    sources = select_sources(load_sources(sources_file))
    _parse_settings(setting_pairs)  # validate before starting
    extra = tuple(arg for pair in setting_pairs for arg in ("-s", pair))
    es_config = EsConfig.from_env()
    ensure_available(es_config, log=info)
    es = make_client(es_config)
    runner = Runner(sources_file, extra)
    if once:
        now = datetime.fromisoformat(now_text) if now_text else datetime.now(timezone.utc)
        history = call(es_config, lambda: recent_runs(es, es_config))
        outcomes = run_due_once(sources, history, runner, concurrency, now)
        if as_json:
            emit_json(
                {
                    "crawled": [
                        {"source": o.source, "returncode": o.returncode, "summary": o.summary}
                        for o in outcomes
                    ]
                }
            )
        elif not outcomes:
            click.echo("nothing is due")
        return
    serve(
        sources,
        lambda source_id: recent_runs(es, es_config).get(source_id, []),
        runner,
        concurrency,
    )


from monitor.cli_alerts import alerts  # noqa: E402  (own modules: the CLI stays readable)
from monitor.cli_sources import sources  # noqa: E402

main.add_command(alerts)
main.add_command(sources)
