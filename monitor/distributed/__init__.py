"""Distributed mode, switched on by MONITOR_REDIS_URL: crawl jobs on a shared queue (RQ over
Redis), any number of schedulers and `monitor worker`s, a lease per source (see docs/scaling.md)."""
