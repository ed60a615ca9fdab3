"""What each part of the articles mapping costs Elasticsearch: CPU to index and bytes to store.

The generated site (half Chinese, half English) is crawled once, all features on but translation
(`monitor crawl --no-translate`: WARC, stories, versions, references); its stored documents are
read back and, for the translated variants, each Chinese document is given the English title and
text of an English one of the set (as the translation worker would write `title_en`/`text_en`;
no model is needed to measure what storing a rendering costs). The same documents are then bulk
indexed into one index per mapping variant, interleaved, `--runs` times:

- `ours`: the articles mapping as it is (`monitor.es.schema`);
- `no_offsets`: the same without `index_options: offsets` (highlighting re-analyses instead);
- `no_language_fields`: without the `.zh`/`.en` sub-fields of title, text, description and
  attachments' text (one `standard` analysis per text);
- `plain`: Elasticsearch's dynamic mapping of the same `_source` (text + keyword per string);

each once as crawled and once with the renderings (`+translated`). CPU is the node's
process over the bulk and the refresh that follows (from /proc: the node's own figure is refreshed
once a second, too coarse for a bulk of a few seconds); store is the primary
store size after a flush and a force-merge to one segment (what the index settles to), per 1,000
documents and projected linearly to a million. The versions index's store per document comes from
a second crawl of the same site after a sentence was added to each page's first paragraph (the
pages whose stored text changed by it, the English half here, each keep a version).

    python bench/index_cost.py [--pages 2000] [--runs 3]

Writes bench/results/index_cost.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import local_node_cpu_seconds, write_result  # noqa: E402
from monitor.demo.server import crawl_command  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import ARTICLE_PROPERTIES, delete_all  # noqa: E402
from tests.sites.generated import served_listing  # noqa: E402

LANGUAGE_FIELDS = ("zh", "en")


def without_offsets(properties: dict[str, Any]) -> dict[str, Any]:
    """The mapping with every `index_options: offsets` removed (positions, the default, kept)."""
    out = copy.deepcopy(properties)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("index_options") == "offsets":
                del node["index_options"]
            for value in node.values():
                walk(value)

    walk(out)
    return out


def without_language_fields(properties: dict[str, Any]) -> dict[str, Any]:
    """The mapping without the `.zh`/`.en` sub-fields of the multilingual texts."""
    out = copy.deepcopy(properties)
    texts = [
        out["title"],
        out["text"],
        out["description"],
        out["attachments"]["properties"]["text"],
    ]
    for field in texts:
        for name in LANGUAGE_FIELDS:
            field["fields"].pop(name, None)
    return out


def variants() -> dict[str, dict[str, Any] | None]:
    """name → the index's mappings (None: Elasticsearch's dynamic mapping)."""
    return {
        "ours": {"dynamic": "strict", "properties": ARTICLE_PROPERTIES},
        "no_offsets": {"dynamic": "strict", "properties": without_offsets(ARTICLE_PROPERTIES)},
        "no_language_fields": {
            "dynamic": "strict",
            "properties": without_language_fields(ARTICLE_PROPERTIES),
        },
        "plain": None,
    }


def crawl(config: EsConfig, sources: Path, *extra: str) -> None:
    settings = ["CONCURRENT_REQUESTS=32", "CONCURRENT_REQUESTS_PER_DOMAIN=32",
                "MONITOR_PROGRESS_INTERVAL=0"]  # fmt: skip
    options = [part for setting in settings for part in ("-s", setting)]
    command = crawl_command(sources, "--json", "--no-translate", *extra, *options)
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix)
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the crawl failed ({done.returncode}): {done.stderr[-2000:]}")


def stored_documents(es: Any, alias: str) -> list[dict[str, Any]]:
    from elasticsearch.helpers import scan

    return [hit["_source"] for hit in scan(es, index=alias, query={"query": {"match_all": {}}})]


def translated(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each Chinese document with an English document's title and text as its rendering."""
    english = [d for d in documents if d.get("language") == "en"]
    out = []
    for i, document in enumerate(documents):
        document = dict(document)
        if document.get("language") == "zh" and english:
            rendering = english[i % len(english)]
            document["title_en"] = rendering.get("title")
            document["text_en"] = rendering.get("text")
        out.append(document)
    return out


def store_bytes(es: Any, index: str) -> int:
    es.indices.flush(index=index)
    es.indices.forcemerge(index=index, max_num_segments=1)
    stats = es.indices.stats(index=index, metric="store")
    return stats["indices"][index]["primaries"]["store"]["size_in_bytes"]


def index_once(es: Any, index: str, mappings: dict | None, documents: list[dict]) -> dict:
    """Bulk the documents into a fresh one-shard index: the node's CPU, the settled store."""
    from elasticsearch.helpers import bulk

    settings = {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"}
    es.indices.create(
        index=index, settings=settings, **({"mappings": mappings} if mappings else {})
    )
    try:
        before = local_node_cpu_seconds(es)
        actions = ({"_index": index, "_source": d} for d in documents)
        indexed, errors = bulk(es, actions, chunk_size=500, raise_on_error=False)
        es.indices.refresh(index=index)
        cpu = local_node_cpu_seconds(es) - before
        if errors:
            raise SystemExit(
                f"{index}: {len(errors)} documents refused: {json.dumps(errors[0])[:500]}"
            )
        return {"cpu_seconds": round(cpu, 2), "store_bytes": store_bytes(es, index)}
    finally:
        es.indices.delete(index=index)


def versions_bytes_per_document(es: Any, config: EsConfig, site: Path, sources: Path) -> dict:
    """Crawl again after a sentence was added to each page: the versions index's store per
    version kept."""
    for page in (site / "www" / "site").rglob("*.html"):
        if page.parent.name == "list":
            continue
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace("</p>", " Revised paragraph for the second version.</p>", 1))
    crawl(config, sources, "--full")
    alias = config.index_name("versions")
    if not es.indices.exists_alias(name=alias):
        return {"versions": 0}
    es.indices.refresh(index=alias)
    count = es.count(index=alias)["count"]
    index = next(iter(es.indices.get_alias(name=alias)))
    size = store_bytes(es, index)
    return {"versions": count, "store_bytes_per_1000": round(size / max(count, 1) * 1000)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": f"bench-cost-{uuid.uuid4().hex[:8]}"})
    ensure_available(config)
    es = make_client(config)
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            site = Path(tmp_name)
            server, sources, paths = served_listing(site, args.pages)
            crawl(config, sources)
            alias = config.index_name("articles")
            es.indices.refresh(index=alias)
            crawled = stored_documents(es, alias)
            if len(crawled) != len(paths):
                raise SystemExit(f"the crawl stored {len(crawled)} of {len(paths)} pages")
            corpora = {"": crawled, "+translated": translated(crawled)}
            runs: dict[str, list[dict]] = {}
            for i in range(args.runs):
                for name, mappings in variants().items():
                    for suffix, documents in corpora.items():
                        index = f"{config.index_prefix}-cost-{uuid.uuid4().hex[:6]}"
                        figures = index_once(es, index, mappings, documents)
                        runs.setdefault(name + suffix, []).append(figures)
                        megabytes = figures["store_bytes"] / 1e6
                        print(f"run {i + 1} {name + suffix:<30} {figures['cpu_seconds']:6.2f} "
                              f"CPU s  {megabytes:7.2f} MB", flush=True)  # fmt: skip
            versions = versions_bytes_per_document(es, config, site, sources)
            server.shutdown()
    finally:
        delete_all(es, config)
    documents = len(crawled)
    table = {}
    for name, found in runs.items():
        cpu = statistics.median(r["cpu_seconds"] for r in found)
        size = statistics.median(r["store_bytes"] for r in found)
        table[name] = {
            "cpu_ms_per_document": round(cpu / documents * 1000, 3),
            "store_bytes_per_1000": round(size / documents * 1000),
            "store_gb_per_million": round(size / documents * 1e6 / 1e9, 2),
            "runs": found,
        }
    mean_text = statistics.mean(len(d.get("text") or "") for d in crawled)
    for name, row in table.items():
        print(f"{name:<30} {row['cpu_ms_per_document']:7.3f} ms/doc  "
              f"{row['store_bytes_per_1000'] / 1e6:6.2f} MB / 1,000  "
              f"{row['store_gb_per_million']:6.2f} GB / million")  # fmt: skip
    print(f"versions: {versions}")
    path = write_result(
        "index_cost",
        {"pages": args.pages, "runs": args.runs, "documents": documents,
         "mean_text_chars": round(mean_text), "variants": table, "versions_index": versions},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
