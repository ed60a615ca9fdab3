"""`monitor translate`, `monitor models`, `monitor status`: translation and source health."""

from __future__ import annotations

import sys

import click

from monitor.cli.common import (
    CHANNELS_OPTION,
    connect,
    domain_errors,
    emit_json,
    info,
    json_option,
)


@click.command("translate")
@click.option(
    "--follow", is_flag=True, help="Keep polling for new pending documents (Ctrl-C stops)."
)
@click.option(
    "--stop-on-eof", is_flag=True, hidden=True, help="With --follow: drain and exit at EOF."
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Make documents whose translation failed MONITOR_TRANSLATE_ATTEMPTS times pending again.",
)
@json_option("Print the totals as one JSON object.")
@CHANNELS_OPTION
@domain_errors
def translate_cmd(
    follow: bool, stop_on_eof: bool, retry_failed: bool, as_json: bool, channels_file: str
) -> None:
    """Translate pending documents (Chinese → English; English → Chinese where a model is
    installed) in batches; several workers can share the backlog."""
    import threading

    from monitor.alerts.hook import rematch_translated
    from monitor.es.client import call
    from monitor.es.schema import ensure_articles_index
    from monitor.translate.config import TranslateConfig
    from monitor.translate.worker import TranslationWorker, load_engines

    config = TranslateConfig.from_env()
    es_config, es = connect()
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
    worker = TranslationWorker(
        es,
        es_config,
        config,
        engines,
        on_translated=rematch_translated(es, es_config, channels_file, info),
    )
    if retry_failed:
        info(f"{call(es_config, worker.retry_failed)} failed documents are pending again")

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


@click.group()
def models() -> None:
    """Manage argostranslate models (the only step that may use the network)."""


@models.command("list")
@json_option()
@domain_errors
def models_list(as_json: bool) -> None:
    """The installed translation packages."""
    from monitor.translate.argos import installed_packages
    from monitor.translate.config import TranslateConfig

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
    from monitor.translate.config import TranslateConfig
    from monitor.translate.models import install

    package = install(TranslateConfig.from_env(), from_code, to_code, log=info)
    info(f"installed {package.name} in {package.path}")


@models.command("install-file")
@click.argument("path", type=click.Path(dir_okay=False))
@domain_errors
def models_install_file(path: str) -> None:
    """Install a downloaded .argosmodel file."""
    from pathlib import Path

    from monitor.translate.config import TranslateConfig
    from monitor.translate.models import install_file

    package = install_file(TranslateConfig.from_env(), Path(path), log=info)
    info(f"installed {package.name} in {package.path}")


@models.command("remove")
@click.argument("from_code")
@click.argument("to_code")
@domain_errors
def models_remove(from_code: str, to_code: str) -> None:
    """Uninstall the FROM→TO package."""
    from monitor.translate.config import TranslateConfig
    from monitor.translate.models import remove

    package = remove(TranslateConfig.from_env(), from_code, to_code)
    info(f"removed {package.name}")


@click.command("status")
@json_option()
@domain_errors
def status_cmd(as_json: bool) -> None:
    """Per-source health (ok, silent, broken), documents per language and translation state, and
    what waits for a model."""
    from monitor.alerts.health import source_health
    from monitor.es.client import call
    from monitor.translate.config import TranslateConfig
    from monitor.translate.status import translation_status

    es_config, es = connect()
    report = call(es_config, lambda: translation_status(es, es_config, TranslateConfig.from_env()))
    report["sources"] = call(es_config, lambda: source_health(es, es_config))
    from monitor.alerts.canary import last_checks

    checks = call(es_config, lambda: last_checks(es, es_config))
    for health in report["sources"]:
        check = checks.get(health["source"])
        health["last_check"] = (
            {k: check.get(k) for k in ("verdict", "checked_at", "error", "links")}
            if check
            else None
        )
    from monitor.distributed.connection import redis_url

    if redis_url():  # distributed mode: the workers and the queue too
        from monitor.distributed.connection import connect as connect_redis
        from monitor.distributed.status import queue_status

        report["distributed"] = queue_status(connect_redis())
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
            + _check_note(h["last_check"])
        )
    click.echo(f"{report['documents']} documents in {report['index']}")
    for language, states in report["by_language"].items():
        click.echo(f"  {language}: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    for wait in report["waiting_for_model"]:
        click.echo(
            f"{wait['documents']} {wait['language']} documents wait for a {wait['language']}→"
            f"{wait['target']} model: run `{wait['command']}`"
        )
    if "distributed" in report:
        _print_distributed(report["distributed"])


def _check_note(check: dict | None) -> str:
    """The source's last `sources check` (the scheduler's canary), as the row's tail."""
    if not check:
        return ""
    return f"  [check {check['verdict']} {(check['checked_at'] or '')[:10]}]"


def _print_distributed(queue: dict) -> None:
    oldest = queue["oldest_job"]
    waited = f"; the oldest waits for {oldest['waiting_seconds']:.0f} s" if oldest else ""
    click.echo(f"queue {queue['queue']}: {queue['waiting']} jobs waiting{waited}")
    click.echo(f"{len(queue['workers'])} workers" + (":" if queue["workers"] else ""))
    for w in queue["workers"]:
        beat = w["heartbeat_age_seconds"]
        click.echo(
            f"  {w['name']:<28} {w['host']:<16} pid {w['pid']:<7} {w['state']:<5} "
            f"{w['job'] or '-':<40} heartbeat {'-' if beat is None else f'{beat:.0f} s ago'}"
        )
    if queue["leases"]:
        click.echo("being crawled (leases): " + ", ".join(queue["leases"]))
    for c in queue.get("shared", []):
        click.echo(
            f"shared crawl {c['source']} ({c['run']}): {c['waiting']} requests waiting, "
            f"{c['busy']} of {c['parts']} parts busy"
        )
