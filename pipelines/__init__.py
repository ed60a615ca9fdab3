"""Item pipelines, one stage per module, each built by from_crawler and counting its outcomes in
crawler stats under `monitor/<stage>/...`. Order (monitor.settings.ITEM_PIPELINES):
validate → dedupe (URL) → extract (+ language, off the reactor) → dedupe (canonical URL) →
index (+ dedupe by content)."""
