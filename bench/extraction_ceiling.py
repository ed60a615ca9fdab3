"""What the two shared sets' annotations reward, where they disagree with each other.

Two of issue 15's targets (news-metadata titles >= 0.90, body F1 >= 0.94) sit above what general
rules reach on that set. This measures why, in one run:

- Titles: how often each headline the page states (JSON-LD `headline`, `og:title`, the first
  `<h1>`, `twitter:title`, the `<title>`; each without the site's name) is the hand-checked title,
  how often any of them is (the ceiling of choosing among them), and how often a majority vote
  over them is. The set follows each publisher's own parser, so the right source differs by
  publisher, with no signal in the page.
- Body: the same cleaning applied to both sets. Leaving out list items and short headings raises
  F1 on the news-metadata set and lowers it on the article set: the two sets annotate lists and
  subheadings in opposite ways. Ours keeps them (a policy's numbered measures are its content).

    python bench/extraction_ceiling.py
"""

from __future__ import annotations

import re
import sys
import warnings
from collections import Counter
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import SHARED_DATA, write_result  # noqa: E402
from bench.extraction_quality import BodyScore, load, news_metadata_pages, squash  # noqa: E402
from monitor.text.analyse import _tree, analyse_page  # noqa: E402
from monitor.text.article.titles import article_object, json_ld, site_names, strip_decoration  # noqa: E402
from monitor.text.encoding import decode_html  # noqa: E402

SOURCES = ("json_ld_headline", "og_title", "h1", "twitter_title", "title")
_HEADING = re.compile(r"[.!?。！？:;\"”»]$")


def stated_headlines(body: bytes, url: str) -> dict[str, str | None]:
    tree = _tree(decode_html(body).text)
    article = article_object(json_ld(tree))
    sites = site_names(tree, article, url)

    def first(xpath: str) -> str | None:
        found = [" ".join(str(v).split()) for v in tree.xpath(xpath)]
        found = [v for v in found if len(v) >= 8]
        return found[0] if found else None

    headline = article.get("headline")
    found = {
        "json_ld_headline": " ".join(unescape(headline).split())
        if isinstance(headline, str)
        else None,
        "og_title": first("//meta[@property='og:title']/@content"),
        "h1": next(
            (t for t in (" ".join(h.text_content().split()) for h in tree.xpath("//h1")) if t),
            None,
        ),
        "twitter_title": first(
            "//meta[@name='twitter:title' or @property='twitter:title']/@content"
        ),
        "title": first("//title/text()"),
    }
    return {k: strip_decoration(v, sites) if v else None for k, v in found.items()}


def title_sources() -> dict:
    pages = news_metadata_pages(SHARED_DATA / "news-metadata-benchmark")
    exact = Counter()
    present = Counter()
    any_source = vote = 0
    for _, body, entry in pages:
        want = squash(entry["title"])
        found = stated_headlines(body, entry["url"])
        for source, value in found.items():
            present[source] += value is not None
            exact[source] += value is not None and squash(value) == want
        any_source += any(v is not None and squash(v) == want for v in found.values())
        votes = Counter(squash(v) for v in found.values() if v)
        vote += bool(votes) and votes.most_common(1)[0][0] == want
    n = len(pages)
    ours = sum(
        squash(analyse_page(b, e["url"])["title"]) == squash(e["title"]) for _, b, e in pages
    )
    return {
        "pages": n,
        "exact_by_source": {s: round(exact[s] / n, 3) for s in SOURCES},
        "pages_with_source": {s: present[s] for s in SOURCES},
        "majority_vote": round(vote / n, 3),
        "any_source_ceiling": round(any_source / n, 3),
        "monitor_extract": round(ours / n, 3),
    }


def _f1(rows: list[tuple[str, str]], keep) -> float:
    score = BodyScore()
    for got, want in rows:
        score.add("\n".join(line for line in got.split("\n") if keep(line)), want)
    return score.result()[0]


def body_conventions() -> dict:
    news = [
        (analyse_page(body, e["url"])["text"], e["text"])
        for _, body, e in news_metadata_pages(SHARED_DATA / "news-metadata-benchmark")
    ]
    article = [
        (analyse_page(body, url)["text"], want)
        for _, body, url, want in load(SHARED_DATA / "article-extraction-benchmark", None)
    ]
    rules = {
        "ours (lists and headings kept)": lambda line: True,
        "without list items": lambda line: not line.startswith("- "),
        "without short headings": lambda line: (
            not (
                0 < len(line) < 70
                and not _HEADING.search(line.strip())
                and line[:2] not in ("- ", "| ")
            )
        ),
    }
    return {
        name: {"news_metadata_f1": _f1(news, keep), "article_f1": _f1(article, keep)}
        for name, keep in rules.items()
    }


def main() -> None:
    warnings.simplefilter("ignore")
    titles = title_sources()
    print("titles exact by source:", titles["exact_by_source"])
    print(
        f"majority vote {titles['majority_vote']}, any source {titles['any_source_ceiling']}, "
        f"monitor extract {titles['monitor_extract']}"
    )
    body = body_conventions()
    for name, row in body.items():
        print(
            f"{name:<32} news-metadata F1 {row['news_metadata_f1']}  article F1 {row['article_f1']}"
        )
    print(f"wrote {write_result('extraction_ceiling', {'titles': titles, 'body': body})}")


if __name__ == "__main__":
    main()
