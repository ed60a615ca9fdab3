"""The translation worker that `monitor crawl` runs beside the crawl, in a process of its own.

The crawl never waits on it: documents are indexed as `pending` and the worker takes them from
Elasticsearch as they arrive. When the crawl is done it closes the worker's standard input, which
means "drain what is pending, then exit", waits for it and reports.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass

from monitor import command as monitor_command


@dataclass
class SidecarResult:
    totals: dict
    waiting: list[dict]
    error: str | None = None
    stopped: bool = False  # stopped with an interrupted crawl, backlog not drained

    @property
    def summary(self) -> str:
        if self.stopped:
            return "translation: stopped with the crawl; pending documents wait for the next run"
        if self.error:
            return f"translation: the worker failed: {self.error}"
        t = self.totals
        lines = []
        if t.get("translated") or t.get("failed"):  # a line only when there was work
            lines.append(
                f"translation: {t.get('translated', 0)} translated, {t.get('failed', 0)} failed, "
                f"{t.get('truncated', 0)} truncated at MONITOR_TRANSLATE_MAX_CHARS"
            )
        for wait in self.waiting:
            lines.append(
                f"translation: {wait['documents']} {wait['language']} documents wait for a "
                f"{wait['language']}→{wait['target']} model: run `{wait['command']}`"
            )
        return "\n".join(lines)


class TranslationSidecar:
    def __init__(self, process: subprocess.Popen):
        self.process = process

    @classmethod
    def start(cls, channels_file: str | None = None) -> TranslationSidecar:
        command = monitor_command("translate", "--follow", "--stop-on-eof", "--json")
        env = dict(os.environ)  # beside a crawl, one CTranslate2 thread leaves cores to extraction
        env.setdefault("MONITOR_TRANSLATE_THREADS", "1")
        if channels_file:  # watch alerts on translations go where the crawl's go
            env["MONITOR_CHANNELS_FILE"] = channels_file
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        # a session of its own: Ctrl-C at the terminal reaches the crawl, which stops the worker
        return cls(subprocess.Popen(command, text=True, env=env, start_new_session=True, **pipes))

    def stop(self, timeout: float = 10) -> SidecarResult:
        """Stop the worker without draining the backlog (the crawl was interrupted). Documents
        it had claimed are claimed again after MONITOR_TRANSLATE_LEASE."""
        self.process.terminate()
        try:
            self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
        return SidecarResult({}, [], stopped=True)

    def finish(self, timeout: float | None = None) -> SidecarResult:
        out, err = self.process.communicate(input="", timeout=timeout)
        if self.process.returncode != 0:
            lines = [line for line in err.strip().splitlines() if line.strip()]
            return SidecarResult(
                {}, [], lines[-1] if lines else f"exit code {self.process.returncode}"
            )
        report = json.loads(out.strip().splitlines()[-1])
        return SidecarResult(report["totals"], report.get("waiting_for_model", []))


class LazySidecar:
    """The translation worker of a crawl, started when the crawl first stores a document that
    needs translating (IndexPipeline calls `needed`): a crawl that stores nothing new, or only
    English, starts no worker. A backlog left by earlier runs is translated by the next crawl that
    starts one, or by `monitor translate`."""

    def __init__(self, channels_file: str | None = None):
        self.channels_file = channels_file
        self.sidecar: TranslationSidecar | None = None

    def needed(self) -> None:
        if self.sidecar is None:
            self.sidecar = TranslationSidecar.start(self.channels_file)

    def stop(self) -> SidecarResult | None:
        return self.sidecar.stop() if self.sidecar else None

    def finish(self) -> SidecarResult | None:
        return self.sidecar.finish() if self.sidecar else None
