"""One crawl over many workers: a request queue and duplicate filter shared in Redis (scrapy-redis).

A source marked `distributed: N` (or `true`: a part per live worker) is crawled at each slot by N
jobs, its parts, each a `monitor crawl --shared <slot>` on whichever worker takes it; a user may
run `monitor crawl --shared NAME` on several machines alike. Every part runs the source's spider
with this scheduler:

- **Each URL once.** Requests go to one Redis priority queue,
  `monitor:share:<source>:<run>:requests`, through one duplicate filter, `...:dupefilter`
  (scrapy-redis's): a URL is fetched by the one part that pops it. Every part sends the start
  requests; the filter keeps the first.
- **Nobody stops early.** A part with nothing to do stays while the queue holds requests or
  another part is busy (its key `...:busy:<part>`, refreshed as it pops, expiring after
  MONITOR_LEASE_TTL if it died): that part's pages may add requests; it looks again every half
  second. A part stops only when the queue is empty and no other part is busy, so no request is
  left behind while a part runs.
- **A part killed with -9** loses the requests it had popped (at most CONCURRENT_REQUESTS) and
  the pages it had fetched and not yet stored (its scraper and extraction queues). The crawl's
  listing pages, feeds and sitemaps are recorded by the last part out, and only when every part
  ended cleanly (a killed part never does): so the next crawl reads them again in full, skips the
  stored articles and fetches only the lost ones.
- **Kept, then expired.** The queue and the filter outlive the parts (SCHEDULER_PERSIST): a part
  that starts late or is retried finds the URLs done and ends at once. They expire
  MONITOR_SHARED_TTL after the last activity.
- **JSON, never pickles** (monitor.distributed.wire): a queued entry names its callback and can
  run nothing else; a part refuses to join a queue holding pickles (`monitor crawl --shared`:
  one line, exit 2) and skips, counted as `monitor/shared/refused`, an entry that is not a
  request this spider may run. Attachment chains (they carry their page) and a request holding
  a value JSON has no form for stay on the part that made them (`monitor/shared/kept`).
- **Judged once.** The last part out (a counter of open parts) records the parts' listing pages
  and says so in its run record; the source's health is judged on the parts together
  (monitor.alerts.health.merge_parts).

Redis is reached synchronously from the reactor's thread (scrapy-redis's design): two round trips
a request on loopback or a LAN, bounded by socket timeouts and retried a few times. A queue that
stays unreachable stops the part, counted as `monitor/shared/errors`.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import re
import time
import uuid
from typing import Any

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from monitor.crawl.dupefilter import CountsRedirects
from monitor.distributed import wire
from monitor.distributed.wire import Refused, Unshareable, decode_request, encode_request
from monitor.errors import ConfigError

logger = logging.getLogger(__name__)

QUEUE_CLASS = "monitor.distributed.shared.ExactlyOnceQueue"
ANSWER_TTL = 600  # seconds the answer of a pop or a filter check is kept for its retries
_RUN_RE = re.compile(r"^[\w.-]{1,80}$")


def check_run_name(name: str) -> str:
    """A shared crawl's name (`--shared`): letters, digits, '.', '_' or '-'."""
    if not _RUN_RE.match(name):
        raise ConfigError(
            f"--shared: use letters, digits, '.', '_' or '-' (at most 80), got {name!r}"
        )
    return name


def share_key(source_id: str, run: str) -> str:
    return f"monitor:share:{source_id}:{run}"


# A command retried after a lost answer (Redis going away between doing it and saying so) must not
# do it twice: a pop retried would drop the request it had popped, a filter check retried would
# call a new URL seen. Each call carries a token of its own, the same on its retries (redis-py
# retries with the same arguments), and its first answer is kept under the token for them.
_POP = """
local kept = redis.call('GET', KEYS[2])
if kept then return kept end
local found = redis.call('ZRANGE', KEYS[1], 0, 0)
if #found == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('SET', KEYS[2], found[1], 'EX', ARGV[1])
return found[1]
"""
_SEEN = """
local kept = redis.call('GET', KEYS[2])
if kept then return tonumber(kept) end
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], added, 'EX', ARGV[2])
return added
"""


def _token(key: str) -> str:
    return f"{key}:answer:{uuid.uuid4().hex}"


class ExactlyOnceQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop, retried, pops once (see _POP), holding requests
    as JSON (monitor.distributed.wire): an entry this spider may not run is skipped, counted."""

    def pop(self, timeout: int = 0) -> Any:
        for _ in range(100):  # entries refused in a row: the rest wait for the next call
            script = self.server.register_script(_POP)
            found = script(keys=[self.key, _token(self.key)], args=[ANSWER_TTL])
            if not found:
                return None
            try:
                return self._decode_request(found)
            except Refused as exc:
                self._refused(exc, found)
        return None

    def _encode_request(self, request: Any) -> bytes:
        return encode_request(request, self.spider)

    def _decode_request(self, encoded_request: bytes) -> Any:
        return decode_request(encoded_request, self.spider, render=self._render)

    def _render(self) -> dict[str, Any]:
        from monitor.crawl.render import render_meta

        crawler = self.spider.crawler
        return render_meta(crawler.stats, crawler.settings.getfloat("MONITOR_RENDER_TIMEOUT"))

    def _refused(self, exc: Exception, entry: bytes) -> None:
        stats = self.spider.crawler.stats
        if not stats.get_value("monitor/shared/refused"):  # one line; the count says the rest
            logger.error(
                "shared crawl %s: an entry that is not a request this crawl may run (%s), "
                "skipped: %r", self.key, exc, entry[:120],
            )  # fmt: skip
        stats.inc_value("monitor/shared/refused")


def pickled_requests(server: Any, source_id: str, run: str) -> int:
    """How many entries of a shared crawl's queue are pickles (an older news-monitor's, or
    someone else's): a part refuses to join while there are any."""
    key = f"{share_key(source_id, run)}:requests"
    return sum(1 for entry, _ in server.zscan_iter(key, count=500) if entry[:1] == b"\x80")


class SharedDupeFilter(CountsRedirects, RFPDupeFilter):
    """scrapy-redis's filter (a Redis set of request fingerprints), counting redirects as ours;
    its check, retried, adds once (see _SEEN)."""

    def request_seen(self, request: Any) -> bool:
        script = self.server.register_script(_SEEN)
        fingerprint = self.request_fingerprint(request)
        added = script(keys=[self.key, _token(self.key)], args=[fingerprint, ANSWER_TTL])
        return int(added) == 0

    def close(self, reason: str = "") -> None:
        """Kept for the other parts (scrapy-redis's own close deletes the set)."""


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler, persistent, with the parts' busy keys and the idle rule above."""

    crawler: Any = None
    stopping = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedScheduler:
        from monitor.distributed.connection import connect, lease_ttl

        settings = crawler.settings
        run = check_run_name(str(settings.get("MONITOR_SHARED_RUN")))
        key = share_key(crawler.spider.source.id, run)
        server = connect(socket_timeout=settings.getfloat("MONITOR_SHARED_TIMEOUT"))
        debug = settings.getbool("DUPEFILTER_DEBUG")
        dupefilter = SharedDupeFilter(server, f"{key}:dupefilter", debug)
        dupefilter.stats = crawler.stats
        scheduler = cls(
            server=server,
            persist=True,
            queue_key=f"{key}:requests",
            queue_cls=QUEUE_CLASS,
            dupefilter=dupefilter,
            dupefilter_key=f"{key}:dupefilter",
            serializer=wire,  # the queue's own encoding is wire's too: never scrapy-redis's pickle
        )
        scheduler.crawler = crawler  # stats counted here: scrapy-redis's use a deprecated form
        scheduler.run, scheduler.key = run, key
        scheduler.part = uuid.uuid4().hex[:10]
        scheduler.busy_ttl = max(1, int(lease_ttl()))
        scheduler.keep = max(60, int(settings.getfloat("MONITOR_SHARED_TTL")))
        scheduler.last_beat = 0.0
        scheduler.local, scheduler.order = [], itertools.count()
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    @property
    def _kept(self) -> tuple[str, ...]:
        names = ("requests", "dupefilter", "open", "parts", "listings", "incomplete", "unclean")
        return tuple(f"{self.key}:{name}" for name in names)

    def open(self, spider: Any) -> None:
        super().open(spider)
        self.crawler.stats.set_value("monitor/shared/run", self.run)
        with self.server.pipeline() as pipe:
            pipe.incr(f"{self.key}:open").sadd(f"{self.key}:parts", self.part)
            pipe.scard(f"{self.key}:parts")
            _, _, parts = pipe.execute()
        logger.info("shared crawl %s: part %s joined (%s parts so far)", self.key, self.part, parts)
        self._beat()

    def _beat(self) -> None:
        """This part is busy; the shared keys live on while any part works."""
        self.last_beat = time.monotonic()
        with self.server.pipeline(transaction=False) as pipe:
            pipe.set(f"{self.key}:busy:{self.part}", "1", ex=self.busy_ttl)
            self._keep_alive(pipe)
            pipe.execute()

    def _keep_alive(self, pipe: Any) -> None:
        """The shared keys expire MONITOR_SHARED_TTL from now (queued on `pipe`)."""
        for name in self._kept:
            pipe.expire(name, self.keep)

    def _still_busy(self) -> None:
        if time.monotonic() - self.last_beat > self.busy_ttl / 3:
            self._beat()

    def enqueue_request(self, request: Any) -> bool:
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            if request.meta.get("monitor_kind") == "attachment":
                self._keep(request)  # the chain carries its page (body, capture): kept here
            else:
                try:
                    self.queue.push(request)
                    self.crawler.stats.inc_value("monitor/shared/enqueued")
                except Unshareable as exc:
                    self._keep(request, str(exc))
            self._still_busy()  # reading a big sitemap may take longer than the busy key lasts
        except RedisError as exc:
            self._unreachable(exc, request.url)
            return False
        return True

    def _keep(self, request: Any, why: str | None = None) -> None:
        """A request that stays on this part (its own queue, by priority, before the shared one):
        an attachment chain, or one holding a value the wire has no form for (named once)."""
        if why is not None and not self.crawler.stats.get_value("monitor/shared/unshareable"):
            logger.warning(
                "shared crawl %s: %s holds %s: fetched by this part, not shared",
                self.key, request.url, why,
            )  # fmt: skip
        if why is not None:
            self.crawler.stats.inc_value("monitor/shared/unshareable")
        self.crawler.stats.inc_value("monitor/shared/kept")
        heapq.heappush(self.local, (-request.priority, next(self.order), request))

    def next_request(self) -> Any:
        if self.local:
            return heapq.heappop(self.local)[2]
        try:
            request = super().next_request()
            if request is None:
                return None
            self.crawler.stats.inc_value("monitor/shared/dequeued")
            self._still_busy()
        except RedisError as exc:
            self._unreachable(exc, None)
            return None
        return request

    def has_pending_requests(self) -> bool:
        if self.local:
            return True
        try:
            return super().has_pending_requests()
        except RedisError as exc:
            self._unreachable(exc, None)
            return False

    def __len__(self) -> int:
        return len(self.local) + len(self.queue)

    def spider_idle(self, spider: Any) -> None:
        """Stay while the queue holds requests or another part is busy."""
        try:
            self.server.delete(f"{self.key}:busy:{self.part}")
            self.last_beat = 0.0
            if len(self.queue) or self._others_busy():
                self._look_again()
                raise DontCloseSpider
        except RedisError as exc:
            self._unreachable(exc, None)
            raise CloseSpider("shared_queue_unreachable") from None

    def _look_again(self, seconds: float = 0.5) -> None:
        """Wake the engine soon (its own heartbeat is every 5 s: a part would start or end up
        to 5 s late). Scrapy has no public call for it: without its slot, the heartbeat does."""
        from twisted.internet import reactor

        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            reactor.callLater(seconds, nextcall.schedule)

    def _others_busy(self) -> bool:
        others = [p.decode() for p in self.server.smembers(f"{self.key}:parts")]
        others = [p for p in others if p != self.part]
        return bool(others) and self.server.exists(*(f"{self.key}:busy:{p}" for p in others)) > 0

    def close(self, reason: str) -> None:
        from monitor.crawl.record import SeenRecord

        record = self.crawler.get_extension(SeenRecord)
        entries, incomplete, clean = record.hand_over(reason) if record else ([], [], True)
        try:
            with self.server.pipeline() as pipe:
                if entries:  # recorded by the last part out, if every part ends cleanly
                    pipe.rpush(f"{self.key}:listings", *(json.dumps(e) for e in entries))
                if incomplete:
                    pipe.sadd(f"{self.key}:incomplete", *incomplete)
                if not clean:
                    pipe.set(f"{self.key}:unclean", reason)
                self._keep_alive(pipe)
                pipe.delete(f"{self.key}:busy:{self.part}").decr(f"{self.key}:open")
                pipe.scard(f"{self.key}:parts")
                *_, still_open, parts = pipe.execute()
            self.crawler.stats.set_value("monitor/shared/parts", parts)
            if still_open <= 0 and record is not None:  # the last part out, and no part died
                self.crawler.stats.set_value("monitor/shared/last", 1)
                record.confirmed.extend(self._listings())
        except RedisError as exc:
            logger.warning("shared crawl %s: not closed in Redis (%s)", self.key, exc)

    def _listings(self) -> list[dict[str, Any]]:
        """Every part's listing pages to record: none when a part ended early or with errors
        (the next crawl reads them again), and never one an article of which was lost."""
        with self.server.pipeline() as pipe:
            pipe.lrange(f"{self.key}:listings", 0, -1).smembers(f"{self.key}:incomplete")
            pipe.get(f"{self.key}:unclean")
            pipe.delete(f"{self.key}:listings", f"{self.key}:incomplete", f"{self.key}:unclean")
            listed, incomplete, unclean, _ = pipe.execute()
        if unclean:
            why = unclean.decode()
            logger.info(
                "shared crawl %s: a part ended early (%s): listing pages left unrecorded, to be "
                "read again next run", self.key, why,
            )  # fmt: skip
            return []
        skipped = {url.decode() for url in incomplete}
        return [e for e in map(json.loads, listed) if e["url"] not in skipped]

    def _unreachable(self, exc: Exception, url: str | None) -> None:
        """Redis failed past its retries: this part stops (what it popped is fetched next slot)."""
        self.crawler.stats.inc_value("monitor/shared/errors")
        logger.error(
            "shared crawl %s: Redis unreachable (%s: %s)%s; stopping this part",
            self.key, type(exc).__name__, exc, f", {url} not queued" if url else "",
        )  # fmt: skip
        engine = getattr(self.crawler, "engine", None)
        if not self.stopping and engine is not None and engine.spider is not None:
            from scrapy.utils.defer import deferred_from_coro

            self.stopping = True
            deferred_from_coro(engine.close_spider_async(reason="shared_queue_unreachable"))


def refuse_pickled(server: Any, source_ids: list[str], run: str) -> None:
    """ConfigError (one line, exit 2) when a shared crawl's queue holds pickled requests."""
    for source_id in source_ids:
        found = pickled_requests(server, source_id, run)
        if found:
            key = f"{share_key(source_id, run)}:requests"
            raise ConfigError(
                f"the shared crawl's queue `{key}` holds {found} pickled requests (written by an "
                f"older news-monitor, or by someone else): they are not read; remove the queue "
                f"(`redis-cli DEL {key}`) and start the crawl again"
            )
