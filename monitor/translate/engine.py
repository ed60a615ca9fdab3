"""Batched translation with an installed Argos package.

The package is loaded through argostranslate (its SentencePiece tokenizer, its MiniSBD sentence
splitter, its CTranslate2 model, called with argostranslate's own decoding options), but instead of
one CTranslate2 call per paragraph, the sentences of many documents go into one call:

- documents → segments (title, then each paragraph: paragraph breaks are kept);
- segments already in the target language are kept as they are (an English quote in a Chinese
  notice, a table of figures);
- segments → sentences (MiniSBD) → unique sentences not in the cache (boilerplate and reprints
  repeat) → one `translate_batch` → cache → segments → documents.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from dataclasses import dataclass

from monitor.errors import TranslationError
from monitor.text.han import HAN
from monitor.translate.argos import InstalledPackage, load
from monitor.translate.config import TranslateConfig

_HAN = HAN
_LATIN = re.compile(r"[A-Za-z]")


@dataclass
class Translated:
    title: str | None
    text: str
    chars: int  # characters of source text translated
    truncated: bool  # the document was longer than max_chars


def needs_translation(segment: str, source: str) -> bool:
    """Whether a segment is written in the source language's script at all."""
    if source in ("zh", "zt", "ja", "ko"):
        return bool(_HAN.search(segment))
    return bool(_LATIN.search(segment)) and not _HAN.search(segment)


class Engine:
    """One loaded translation direction (e.g. zh→en)."""

    def __init__(self, config: TranslateConfig, package: InstalledPackage):
        if not package.offline_splitter:
            raise TranslationError(
                f"{package.name} has no offline sentence splitter and would download one: "
                f"reinstall it with `monitor models install {package.from_code} {package.to_code}`"
            )
        import ctranslate2

        package_module = load(config)
        from argostranslate.translate import PackageTranslation

        argos_package = next(
            (
                p
                for p in package_module.get_installed_packages()
                if p.package_path.resolve() == package.path.resolve()
            ),
            None,
        )
        if argos_package is None:
            raise TranslationError(f"argostranslate does not see the package in {package.path}")
        self.config, self.package, self.argos = config, package, argos_package
        self.sentencizer = PackageTranslation(None, None, argos_package).sentencizer
        self.translator = ctranslate2.Translator(
            str(argos_package.package_path / "model"),
            device=config.device,
            inter_threads=1,
            intra_threads=config.threads,
            compute_type="auto",
        )
        self.cache: OrderedDict[str, str] = OrderedDict()
        self.stats: Counter = Counter()
        self.joiner = "" if package.to_code in ("zh", "zt", "ja") else " "

    @property
    def model(self) -> str:
        return self.package.name

    def _sentences(self, segment: str) -> list[str]:
        return [s.strip() for s in self.sentencizer.split_sentences(segment) if s.strip()] or [
            segment
        ]

    def _run(self, sentences: list[str]) -> list[str]:
        """One CTranslate2 call for all the sentences, with argostranslate's decoding options."""
        tokenizer, prefix = self.argos.tokenizer, self.argos.target_prefix
        tokens = [tokenizer.encode(s) for s in sentences]
        longest = max(len(t) for t in tokens)
        results = self.translator.translate_batch(
            tokens,
            target_prefix=[[prefix]] * len(tokens) if prefix else None,
            replace_unknowns=True,
            max_batch_size=self.config.batch_tokens,
            batch_type="tokens",
            beam_size=self.config.beam_size,
            num_hypotheses=1,
            length_penalty=0.2,
            max_decoding_length=min(1024, 3 * longest + 16),  # no runaway output
        )
        self.stats["ctranslate2_calls"] += 1
        self.stats["sentences_translated"] += len(sentences)
        out = []
        for result in results:
            value = tokenizer.decode(result.hypotheses[0])
            if prefix and value.startswith(prefix):
                value = value[len(prefix) :]
            out.append(value.strip())
        return out

    def _remember(self, sentence: str, translation: str) -> None:
        if self.config.cache_sentences:
            self.cache[sentence] = translation
            while len(self.cache) > self.config.cache_sentences:
                self.cache.popitem(last=False)

    def translate_documents(self, documents: list[tuple[str | None, str]]) -> list[Translated]:
        """Translate (title, text) pairs together, keeping paragraphs and target-language parts."""
        source = self.package.from_code
        plans = []  # per document: [(segment, [sentences] | None), ...], truncated, chars
        wanted: dict[str, None] = {}
        for title, text in documents:
            truncated = len(text) > self.config.max_chars
            body = text[: self.config.max_chars].rsplit("\n", 1)[0] if truncated else text
            segments = [(title or "", True)] + [(p, False) for p in body.split("\n")]
            plan = []
            for segment, _ in segments:
                if not segment.strip() or not needs_translation(segment, source):
                    self.stats["segments_kept"] += 1
                    plan.append((segment, None))
                    continue
                sentences = self._sentences(segment)
                for sentence in sentences:
                    if sentence in self.cache:
                        self.stats["sentences_cached"] += 1
                        self.cache.move_to_end(sentence)
                    else:
                        wanted[sentence] = None
                plan.append((segment, sentences))
            plans.append((plan, truncated, len(body) + len(title or "")))
        fresh = list(wanted)
        translated = dict(zip(fresh, self._run(fresh), strict=True)) if fresh else {}
        for sentence in fresh:
            self._remember(sentence, translated[sentence])
        results = []
        for plan, truncated, chars in plans:
            rendered = []
            for segment, sentences in plan:
                if sentences is None:
                    rendered.append(segment)
                    continue
                parts = [translated.get(s) or self.cache.get(s, "") for s in sentences]
                rendered.append(self.joiner.join(parts))
            title, *paragraphs = rendered
            results.append(Translated(title or None, "\n".join(paragraphs), chars, truncated))
        return results
