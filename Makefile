# news-monitor: `make run` and `make test` are the two commands of the README's quick start.
# Both are idempotent: the venv is rebuilt only when pyproject.toml changes, the local
# Elasticsearch node is fetched once and started only when it is not already running.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MONITOR := $(BIN)/monitor
export MONITOR_HOME ?= $(CURDIR)/var


.PHONY: run test test-fast test-smoke demo es es-stop redis chromium nginx lint format bench bench-quality bench-throughput bench-incremental bench-pdf bench-faults bench-watches bench-search bench-peers bench-idle bench-render bench-index-cost clean help

help:
	@echo "make run      crawl the sources in sources.yaml into Elasticsearch, print a summary"
	@echo "make test     the whole test suite against a real local Elasticsearch node"
	@echo "make test-fast  the tests that need no node, Redis or browser (under a minute)"
	@echo "make test-smoke  crawl, search, watch, versions on the oldest Elasticsearch supported"
	@echo "make demo     crawl the bundled sample sites offline and run a few searches"
	@echo "make bench    extraction quality and crawl throughput benchmarks (JSON in bench/results)"
	@echo "make lint     ruff check + format check"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The local node, unless a cluster is configured with MONITOR_ES_URL.
es: $(STAMP)
	@if [ -z "$$MONITOR_ES_URL" ]; then $(MONITOR) es start; else echo "using $$MONITOR_ES_URL"; fi

es-stop: $(STAMP)
	$(MONITOR) es stop

run: es
	$(MONITOR) crawl

# Two pytest workers (pytest-xdist), each taking whole files: most tests wait on a crawl in a
# subprocess, the node or a timer, so two at once take about 2/3 of the time on 2 cores (19 vs 28
# minutes). PYTEST_JOBS= runs them in one process.
PYTEST_JOBS ?= -n 2 --dist loadfile
test: es redis chromium nginx
	$(BIN)/python -m pytest $(PYTEST_JOBS) $(PYTEST_ARGS)

# The smoke tier (crawl, search, watch, versions, deprecations) on the oldest Elasticsearch
# supported, a node of its own (its own MONITOR_HOME and port), stopped afterwards.
OLDEST_ES ?= 8.14.3
SMOKE_ENV = MONITOR_HOME=$(CURDIR)/var/smoke MONITOR_ES_VERSION=$(OLDEST_ES) MONITOR_ES_PORT=9280
test-smoke: $(STAMP) redis
	mkdir -p var/smoke && chmod 755 var var/smoke
	$(SMOKE_ENV) $(MONITOR) es start
	$(SMOKE_ENV) $(BIN)/python -m pytest -m smoke $(PYTEST_ARGS); status=$$?; \
	  $(SMOKE_ENV) $(MONITOR) es stop; exit $$status

# The fast tier: tests that need no Elasticsearch node, JDK, Redis or browser (marked `fast`).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m fast $(PYTEST_ARGS)

# redis-server from Debian's packages: the tests of distributed mode start their own on loopback.
redis:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing redis-server (Debian package) for the distributed-mode tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null \
	    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null; }; \
	  else echo "redis-server is missing: sudo apt-get install redis-server (distributed-mode tests)"; exit 2; fi; }

# nginx from Debian's packages: the secured-cluster tests put a TLS proxy with basic auth in front
# of the local node (tests/test_secured.py); installed as redis-server is.
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing nginx (Debian package) for the secured-cluster tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null \
	    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null; }; \
	  else echo "nginx is missing: sudo apt-get install nginx-light (secured-cluster tests)"; exit 2; fi; }

# Debian's Chromium: the tests of `render:` sources drive it headless (scrapy-playwright); the
# browser download Playwright would make by itself is neither needed nor possible here. A Chinese
# font too: without one, the screenshots of `monitor serve`'s pages would show Chinese as boxes.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium (Debian package) for the rendering tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; \
	  else echo "chromium is missing: sudo apt-get install chromium (rendering tests)"; exit 2; fi; }
	@[ -n "$$(fc-list :lang=zh 2>/dev/null)" ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing a Chinese font (fonts-wqy-microhei) for the pages' screenshots"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >/dev/null \
	    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >/dev/null; }; \
	  else echo "no Chinese font: sudo apt-get install fonts-wqy-microhei (screenshot tests)"; exit 2; fi; }

demo: es
	$(BIN)/python -m monitor.demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: bench-quality bench-throughput bench-incremental bench-pdf bench-faults bench-watches bench-search bench-watch-quality bench-latency

bench-quality: $(STAMP)
	$(BIN)/python bench/extraction_quality.py

bench-throughput: es
	$(BIN)/python bench/crawl_throughput.py

bench-incremental: es
	$(BIN)/python bench/incremental.py

bench-pdf: es
	$(BIN)/python bench/pdf_extraction.py

bench-faults: es
	$(BIN)/python bench/faults.py

bench-watches: es
	$(BIN)/python bench/watch_alerts.py

bench-search: es
	$(BIN)/python bench/search_quality.py

bench-watch-quality: es
	$(BIN)/python bench/watch_quality.py

bench-latency: es
	$(BIN)/python bench/search_latency.py

bench-render: es chromium
	$(BIN)/python bench/render_cost.py

clean:
	-$(MONITOR) es stop
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# Ours against bare trafilatura, trafilatura's CLI and news-please, each in a virtualenv of its own
# under bench/.peers/ (made here, once; not part of the package).
bench-peers: es
	$(BIN)/python bench/peers.py --setup

# What each part of the articles mapping costs the node: CPU to index, bytes to store.
bench-index-cost: es
	$(BIN)/python bench/index_cost.py

# A scheduled run that finds nothing new, ours against an earlier commit.
bench-idle: es
	$(BIN)/python bench/schedule_idle.py
