"""Feeds out: every saved search and every watch as an Atom feed (`monitor feed NAME`), and
`monitor serve`, a read-only HTTP server of the feeds, the document view and search as plain
HTML pages (docs/feeds.md).

- entries.py: which feeds there are and their entries, read from the cluster (no writes: a feed
  read is not a saved search's run, and acknowledges no alert);
- atom.py: the Atom document (feedgen);
- pages.py: the HTML pages, every value escaped, no script;
- server.py: the HTTP server (loopback by default, a token on any other address).
"""
