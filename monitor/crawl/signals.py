"""The crawl's own signals (Scrapy signals: `crawler.signals.connect(handler, signal=...)`)."""

from __future__ import annotations

# Sent with `documents`, a list of (id, source), for the documents whose stored state just changed:
# by the index stage after each bulk flush (new or changed text: the source as stored), and when
# a re-checked article turns out withdrawn (the source only {"withdrawn_at": ...}).
# The watch matcher and the translation worker subscribe (monitor.crawl.core); a handler must
# not block the reactor.
documents_stored = object()
