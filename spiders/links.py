"""Links as pages write them: made absolute without ever raising."""

from __future__ import annotations

from scrapy.http import Response


def absolute(response: Response, href: str) -> str:
    """The absolute URL of a link on a page. A malformed one (`http://[x`) is returned as it
    stands, for monitor.text.urls.url_problem to name, instead of an exception that would cost
    the whole page."""
    try:
        return response.urljoin(href.strip())
    except ValueError:
        return href
