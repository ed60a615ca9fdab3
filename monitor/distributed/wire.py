"""A shared crawl's requests as JSON in Redis, never pickled.

scrapy-redis pickles each queued request by default: whoever can write to the queue's Redis key
then runs code on every part that pops it. Here a request travels as Scrapy's own dictionary
(`Request.to_dict`: the callback and errback by name) written as JSON, with a closed set of tagged
values for what JSON lacks:

    {"~": "bytes", "v": "<base64>"}   bytes (headers, a POST body)
    {"~": "tuple", "v": [...]}         tuples
    {"~": "dict", "v": [[k, v], ...]}  a dict with keys that are not strings (or a key "~")
    {"~": "Seen", "v": {...}}          a registered dataclass (`register`), by its fields

Nothing else is encoded (`Unshareable`); the part that made such a request keeps it in its own
queue (SharedScheduler), so nothing is lost. Read back, a request is refused (`Refused`) unless its
class is one of Scrapy's request classes and its callback and errback are the spider's own parse
and error methods: a request written by someone else can name nothing more.

Rendered requests carry live objects (the browser's page hooks, this part's stats): they travel
as `monitor_rendered: true` and the part that pops one gives it its own (render_meta).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from scrapy.utils.request import request_from_dict

# the dataclasses a queued request may carry, by name: the record of a URL seen before (a
# conditional GET's validators) and those a spider registers (a script-built list's endpoint)
_TYPES: dict[str, type] = {}
# the request classes a queued request may be (`_class`; absent: scrapy.Request)
CLASSES = frozenset(
    {
        "scrapy.http.request.form.FormRequest",
        "scrapy.http.request.json_request.JsonRequest",
    }
)
# the keys render_meta adds that hold live objects: the popping part puts its own back
RENDER_KEYS = ("playwright_page_init_callback", "playwright_page_methods")
TAG = "~"


class Unshareable(TypeError):
    """A request holding a value the wire format has no form for."""


class Refused(ValueError):
    """A queued entry that is not a request this spider may run."""


def register(cls: type) -> type:
    """Let a dataclass travel in queued requests, by its name (a class decorator)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__qualname__} is not a dataclass")
    _TYPES[cls.__name__] = cls
    return cls


def _classes() -> dict[str, type]:
    from monitor.crawl.seen import Seen

    return {"Seen": Seen, **_TYPES}


def _encode(value: Any, types: dict[type, str]) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_encode(v, types) for v in value]
    if isinstance(value, tuple):
        return {TAG: "tuple", "v": [_encode(v, types) for v in value]}
    if isinstance(value, (bytes, bytearray)):
        return {TAG: "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: _encode(v, types) for k, v in value.items()}
        pairs = [[_encode(k, types), _encode(v, types)] for k, v in value.items()]
        return {TAG: "dict", "v": pairs}
    name = types.get(type(value))
    if name is not None:
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {TAG: name, "v": _encode(fields, types)}
    raise Unshareable(f"a {type(value).__module__}.{type(value).__qualname__}")


def _decode(value: Any, classes: dict[str, type]) -> Any:
    if isinstance(value, list):
        return [_decode(v, classes) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {k: _decode(v, classes) for k, v in value.items()}
    inner = value.get("v")
    if tag == "bytes" and isinstance(inner, str):
        return base64.b64decode(inner, validate=True)
    if tag == "tuple" and isinstance(inner, list):
        return tuple(_decode(v, classes) for v in inner)
    if tag == "dict" and isinstance(inner, list):
        return {_hashable(_decode(k, classes)): _decode(v, classes) for k, v in _pairs(inner)}
    if tag in classes and isinstance(inner, dict):
        fields = _decode(inner, classes)
        try:
            return classes[tag](**fields)
        except TypeError as exc:
            raise Refused(f"a {tag} that does not fit: {exc}") from None
    raise Refused(f"an unknown tagged value {str(tag)[:40]!r}")


def _pairs(items: list[Any]) -> list[tuple[Any, Any]]:
    if not all(isinstance(p, list) and len(p) == 2 for p in items):
        raise Refused("a dict that is not a list of pairs")
    return [(k, v) for k, v in items]


def _hashable(key: Any) -> Any:
    if isinstance(key, (dict, list)):
        raise Refused("a dict key that is not a plain value")
    return key


def dumps(obj: Any) -> bytes:
    """JSON with the tagged values above (scrapy-redis's serializer interface)."""
    types = {cls: name for name, cls in _classes().items()}
    return json.dumps(_encode(obj, types), ensure_ascii=False, separators=(",", ":")).encode()


def loads(data: bytes | str) -> Any:
    """The value `dumps` wrote; Refused for anything else (a pickle, a foreign tag)."""
    raw = data.encode() if isinstance(data, str) else data
    if raw[:1] == b"\x80":
        raise Refused("a pickle (written by an older news-monitor, or by someone else)")
    try:
        parsed = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise Refused("not JSON") from None
    return _decode(parsed, _classes())


def allowed_callback(spider: Any, name: str | None) -> bool:
    """A spider's own parse or error method (`parse…`, `on_…`, `…_failed`, on its class)."""
    if name is None:
        return True
    if not isinstance(name, str) or name.startswith("_"):
        return False
    if not (name.startswith(("parse", "on_")) or name.endswith("_failed")):
        return False
    return callable(getattr(type(spider), name, None))


def encode_request(request: Any, spider: Any) -> bytes:
    """A request as the queue holds it (Unshareable when it carries a value JSON cannot)."""
    record = request.to_dict(spider=spider)
    meta = dict(record.get("meta") or {})
    if meta.get("monitor_rendered"):
        for key in RENDER_KEYS:
            meta.pop(key, None)
    record["meta"] = meta
    return dumps(record)


def decode_request(data: bytes, spider: Any, render: Any = None) -> Any:
    """The request an entry holds, for `spider`; Refused when it is not one it may run.
    `render()`: the meta of a rendered request on this part (its browser hooks)."""
    record = loads(data)
    if not isinstance(record, dict) or not isinstance(record.get("url"), str):
        raise Refused("not a request")
    cls = record.get("_class")
    if cls is not None and cls not in CLASSES:
        raise Refused(f"a request class that is not Scrapy's: {str(cls)[:80]!r}")
    for key in ("callback", "errback"):
        if not allowed_callback(spider, record.get(key)):
            raise Refused(f"a {key} that is not the spider's: {str(record.get(key))[:80]!r}")
    meta = record.get("meta")
    if not isinstance(meta, dict):
        raise Refused("a request whose meta is not a mapping")
    if meta.get("monitor_rendered") and render is not None:
        meta.update({k: v for k, v in render().items() if k in RENDER_KEYS})
    try:
        return request_from_dict(record, spider=spider)
    except (TypeError, ValueError, AttributeError) as exc:
        raise Refused(f"a request Scrapy cannot build: {exc}") from None
