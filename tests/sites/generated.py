"""Generated sample sites: many unique article pages (the sample sites' templates and texts) behind
paginated listing pages, for the throughput benchmark and the kill-and-resume test."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import yaml

from monitor.demo.sites import SITES
from monitor.demo.sites.build import en_article, zh_article

ROOT = Path(__file__).resolve().parents[2]

FILLER_EN = (
    "Officials said the measures would be reviewed next year. Analysts expect more detail "
    "from provincial governments. Companies have asked for clearer guidance on eligibility."
)
FILLER_ZH = (
    "有关部门表示，将根据实施情况适时评估调整相关措施。业内人士预计，各地将陆续出台配套细则。"
)


def _weight(rng: random.Random, titles: list[str], i: int) -> str:
    """The page furniture of a real news site: a mega-menu, inline script and JSON-LD, a long
    related-stories rail and a link-heavy footer (pages of about 45 KB)."""
    menu = "".join(
        f'<li><a href="/section/{k}/{j}">{rng.choice(titles)[:12]}</a></li>'
        for k in range(12)
        for j in range(14)
    )
    script = "var cfg=" + ",".join(f'"k{j}":"{rng.getrandbits(64):x}"' for j in range(700)) + ";"
    rail = "".join(
        f'<li><a href="/story/{rng.getrandbits(32)}"><img src="/i/{j}.jpg" alt="">'
        f"<span>{rng.choice(titles)}</span></a><time>2024-0{j % 9 + 1}-1{j % 9}</time></li>"
        for j in range(40)
    )
    footer = "".join(f'<a href="/f/{j}">{rng.choice(titles)[:8]}</a> ' for j in range(160))
    return (
        f'<nav class="mega-menu"><ul>{menu}</ul></nav><script>{script}</script>'
        f'<script type="application/ld+json">{{"@type":"NewsArticle","id":{i}}}</script>',
        f'<aside class="rail"><h3>Most read</h3><ul>{rail}</ul></aside>'
        f'<div class="footer-links">{footer}</div>',
    )


def generate_site(root: Path, pages: int, seed: int = 7) -> list[str]:
    """Write `pages` unique article pages (half Chinese, half English)."""
    data = yaml.safe_load((SITES / "articles.yaml").read_text(encoding="utf-8"))
    zh = [a for a in data["zhnews"]["articles"] if "body" in a]
    en = data["ennews"]["articles"]
    rng = random.Random(seed)
    paths = []
    for i in range(pages):
        pool, render, filler = (zh, zh_article, FILLER_ZH) if i % 2 else (en, en_article, FILLER_EN)
        base = pool[i % len(pool)]
        paragraphs = [p for a in pool for p in a["body"]]
        body = base["body"] + rng.sample(paragraphs, 9) + [f"{filler} ({i})"]
        article = dict(base, slug=f"{i:06d}", title=f"{base['title']} ({i})", body=body)
        html = render(article, [pool[(i + 1) % len(pool)], pool[(i + 2) % len(pool)]])
        head, tail = _weight(rng, [a["title"] for a in pool], i)
        html = html.replace("<body>", "<body>" + head, 1).replace("</main>", "</main>" + tail, 1)
        path = f"site/{i // 1000:03d}/{i:06d}.html"
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        paths.append("/" + path)
    return paths


def write_listing(root: Path, paths: list[str], per_page: int = 100) -> None:
    """Paginated listing pages (`next` links) over the given article paths."""
    listing = root / "site" / "list"
    shutil.rmtree(listing, ignore_errors=True)
    listing.mkdir(parents=True)
    chunks = [paths[i : i + per_page] for i in range(0, len(paths), per_page)]
    for n, chunk in enumerate(chunks):
        links = "".join(f'<li><a href="{p}">Article {p}</a></li>' for p in chunk)
        pager = f'<a class="next" href="index_{n + 1}.html">Next</a>' if n + 1 < len(chunks) else ""
        name = "index.html" if n == 0 else f"index_{n}.html"
        (listing / name).write_text(
            f"<html><body><ul class='articles'>{links}</ul>{pager}</body></html>"
        )


def listing_sources(path: Path, base: str) -> Path:
    """A sources file with one listing source over the generated site served at `base`."""
    path.write_text(
        f"sources:\n  - id: bench\n    type: listing\n    urls: {base}/site/list/index.html\n"
        "    links: ul.articles a\n    next: a.next\n"
    )
    return path


def served_listing(folder: Path, pages: int, source_extra: str = "") -> tuple[Any, Path, list[str]]:
    """`pages` generated articles behind listing pages of 50, served on 127.0.0.1, and a sources
    file with the one source `big` over them (`source_extra`: more YAML lines of that source).
    (server, sources file, article paths); the caller shuts the server down."""
    from monitor.demo.server import serve

    paths = generate_site(folder / "www", pages)
    write_listing(folder / "www", paths, per_page=50)
    server = serve(folder / "www")
    sources = folder / "sources.yaml"
    sources.write_text(
        f"sources:\n  - id: big\n    type: listing\n    urls: {server.base}/site/list/index.html\n"
        "    links: ul.articles a\n    next: a.next\n" + source_extra
    )
    return server, sources, paths


def served_sitemap(folder: Path, pages: int, source_extra: str = "") -> tuple[Any, Path, list[str]]:
    """`pages` generated articles listed in one sitemap, served on 127.0.0.1, and a sources file
    with the one sitemap source `big` over them; as served_listing."""
    from monitor.demo.server import serve

    paths = generate_site(folder / "www", pages)
    server = serve(folder / "www")
    entries = "".join(f"<url><loc>{server.base}{p}</loc></url>" for p in paths)
    (folder / "www" / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n'
    )
    sources = folder / "sources.yaml"
    sources.write_text(
        f"sources:\n  - id: big\n    type: sitemap\n    urls: {server.base}/sitemap.xml\n"
        + source_extra
    )
    return server, sources, paths
