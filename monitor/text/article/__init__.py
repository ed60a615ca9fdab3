"""An article's fields from its page: body (trafilatura, then body.py and density.py), headline
(titles.py), publication date (published.py), authors and editors (bylines.py), and whether the
page is an article at all (pagekind.py). extract.py puts them together."""
