"""Sites for `monitor sources discover`, as real sites are laid out (written here, for the tests):

- `news_site`: an English news section whose list of articles sits among a navigation bar, a
  "Most read" rail of topic pages, a tag cloud and a footer, with a "Next ›" link to a second
  page, and an RSS feed linked from the page's head;
- `sitemap_site`: a site with no list and no feed, whose robots.txt names its sitemap.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

TEXT = (
    "The ministry said the measures would take effect next month and apply to every province. "
    "Officials added that companies could apply for support through their local bureaus, and "
    "that the rules would be reviewed after a year of operation."
)


def _article(title: str, day: str) -> str:
    """An article page; its own first paragraph (the rest is the same everywhere, as a
    section's boilerplate is)."""
    own = f"{title}: announced on {day}, after months of consultation with local firms."
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title><meta property='article:published_time' content='{day}'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news/'>News</a></nav>"
        f"<article><h1>{escape(title)}</h1><p>{escape(own)}</p><p>{TEXT}</p></article>"
        "<footer><a href='/about.html'>About</a></footer></body></html>"
    )


def news_site(root: Path, pages: tuple[int, int] = (10, 8)) -> list[str]:
    """Write the news section; returns the article paths (every page's)."""
    topics = ["Energy", "Chips", "Autos", "Trade", "Markets"]
    (root / "news" / "topics").mkdir(parents=True, exist_ok=True)
    for topic in topics:
        (root / "news" / "topics" / f"{topic.lower()}.html").write_text(
            f"<html><body><h1>{topic}</h1><ul>"
            + "".join(f"<li><a href='/news/topics/{t.lower()}.html'>{t}</a></li>" for t in topics)
            + "</ul></body></html>"
        )
    articles: list[str] = []
    numbered = 0
    for page, count in enumerate(pages, 1):
        items = []
        for _ in range(count):
            numbered += 1
            day = f"2024-05-{numbered:02d}"
            title = f"Province {numbered} sets out new support for industrial upgrading"
            path = f"/news/2024/05/story-{numbered}.html"
            (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            (root / path.lstrip("/")).write_text(_article(title, day), encoding="utf-8")
            articles.append(path)
            items.append(
                f"<li><a href='{path}'>{escape(title)}</a> <span class='date'>{day}</span></li>"
            )
        nav = "".join(f"<a href='/news/topics/{t.lower()}.html'>{t}</a> " for t in topics)
        rail = "".join(
            f"<li><a href='/news/topics/{t.lower()}.html'>The week in {t.lower()} policy and "
            "what it means</a></li>"
            for t in topics
        )
        tags = "".join(f"<a href='/news/topics/{t.lower()}.html'>{t}</a>" for t in topics)
        pager = (
            "<div class='paging'><a href='index_2.html'>Next ›</a></div>"
            if page == 1
            else "<div class='paging'><a href='index.html'>‹ Previous</a></div>"
        )
        name = "index.html" if page == 1 else f"index_{page}.html"
        (root / "news" / name).write_text(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>News</title>"
            "<link rel='alternate' type='application/rss+xml' title='News' href='/news/rss.xml'>"
            f"</head><body><header><nav class='menu'>{nav}</nav></header>"
            f"<main><h1>Latest news</h1><ul class='stories'>{''.join(items)}</ul>{pager}</main>"
            f"<aside class='most-read'><h3>Most read</h3><ul>{rail}</ul></aside>"
            f"<div class='tag-cloud'>{tags}</div>"
            "<footer><a href='/about.html'>About</a> <a href='/contact.html'>Contact</a>"
            "</footer></body></html>",
            encoding="utf-8",
        )
    rss_items = "".join(
        f"<item><title>Story {i}</title><link>{{base}}{path}</link></item>"
        for i, path in enumerate(articles[:10], 1)
    )
    (root / "news" / "rss.template").write_text(
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>News</title>"
        f"{rss_items}</channel></rss>",
        encoding="utf-8",
    )
    return articles


def finish_news_site(root: Path, base: str) -> None:
    """The feed's absolute links, once the server's address is known."""
    template = (root / "news" / "rss.template").read_text(encoding="utf-8")
    (root / "news" / "rss.xml").write_text(template.replace("{base}", base), encoding="utf-8")


def sitemap_site(root: Path, base: str, count: int = 12) -> list[str]:
    """Articles listed only in a sitemap named by robots.txt; returns their paths."""
    paths = []
    for n in range(1, count + 1):
        path = f"/articles/2024/06/report-{n}.html"
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        title = f"Report {n}: how the new export licensing rules work in practice"
        (root / path.lstrip("/")).write_text(_article(title, f"2024-06-{n:02d}"), "utf-8")
        paths.append(path)
    urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in paths)
    (root / "sitemap.xml").write_text(
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>",
        encoding="utf-8",
    )
    (root / "robots.txt").write_text(f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n")
    (root / "index.html").write_text(
        "<html><body><h1>Reports</h1><p>Our reports on trade rules.</p>"
        "<a href='/about.html'>About</a></body></html>"
    )
    return paths


def drawn_site(root: Path, count: int = 6) -> list[str]:
    """A column whose list its script draws from a JSON file (no list in the HTML); returns the
    article paths."""
    import json

    items = []
    for n in range(1, count + 1):
        path = f"/column/2024/07/notice-{n}.html"
        title = f"Notice {n} on the new rules for industrial parks and their tenants"
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_text(_article(title, f"2024-07-{n:02d}"), "utf-8")
        items.append({"url": path, "title": title, "day": f"2024-07-{n:02d}"})
    (root / "column" / "list.json").write_text(json.dumps(items), encoding="utf-8")
    (root / "column" / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Notices</title></head><body>"
        "<ul id='list'></ul><script>fetch('/column/list.json').then(function (r) {"
        " return r.json(); }).then(function (items) {"
        " document.getElementById('list').innerHTML = items.map(function (i) {"
        " return '<li><a href=\"' + i.url + '\">' + i.title + '</a> ' + i.day + '</li>';"
        " }).join(''); });</script></body></html>",
        encoding="utf-8",
    )
    return [item["url"] for item in items]
