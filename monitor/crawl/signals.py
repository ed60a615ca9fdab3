"""The crawl's own signals (Scrapy signals: `crawler.signals.connect(handler, signal=...)`)."""

from __future__ import annotations

# Sent with `documents`, a list of (id, source), for the documents whose stored state just changed:
# by the index stage after each bulk flush (new or changed text: the source as stored), and when
# a re-checked article turns out withdrawn (the source only {"withdrawn_at": ...}).
# The watch matcher and the translation worker subscribe (monitor.crawl.core); a handler must
# not block the reactor.
documents_stored = object()

# Sent (and awaited) by the index stage after each bulk flush, with `items`: the Articles whose
# documents are in the index now (stored, unchanged or duplicates) with all their attachments.
# The seen-record subscribes: those pages are not fetched again by later runs.
pages_indexed = object()
