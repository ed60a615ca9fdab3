"""Build a tiny, real Argos Translate package offline (zh→en), for the tests and the benchmark.

Everything argostranslate loads is real and made here, in about a second:
- a SentencePiece model trained on the sample sites' sentences (Chinese and English);
- a 1-layer Transformer in CTranslate2 format, built with the `ctranslate2.specs` API, with random
  weights (so its English is nonsense: the tests check the pipeline, not the quality);
- a MiniSBD sentence splitter: an ONNX model whose per-character weights mark 。！？.!? as
  sentence ends, with its vocabulary and configuration in the model metadata, as MiniSBD expects;
- metadata.json; all zipped into a .argosmodel file.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import yaml

from monitor.demo.sites import SITES

ROOT = Path(__file__).resolve().parents[1]
SENTENCE_ENDS = "。！？.!?"


def corpus() -> list[str]:
    data = yaml.safe_load((SITES / "articles.yaml").read_text(encoding="utf-8"))
    lines = []
    for site in data.values():
        for article in site["articles"]:
            lines.append(article["title"])
            lines.extend(article.get("body", []))
    return lines


def build_sentencepiece(lines: list[str], target: Path, vocab_size: int = 1000) -> Path:
    import sentencepiece as spm

    text = target / "train.txt"
    text.write_text("\n".join(lines), encoding="utf-8")
    prefix = target / "sentencepiece"
    spm.SentencePieceTrainer.train(
        input=str(text),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        character_coverage=1.0,
        model_type="unigram",
        minloglevel=2,
        hard_vocab_limit=False,
    )
    text.unlink()
    return prefix.with_suffix(".model")


def _shape(name: str, d: int, ffn: int, src: int, tgt: int) -> tuple[int, ...]:
    if name.endswith(("gamma", "beta")):
        return (d,)
    if name == "encoder.embeddings[0].weight":
        return (src, d)
    if name in ("decoder.embeddings.weight", "decoder.projection.weight"):
        return (tgt, d)
    if name == "decoder.projection.bias":
        return (tgt,)
    if "ffn.linear_0.weight" in name:
        return (ffn, d)
    if "ffn.linear_1.weight" in name:
        return (d, ffn)
    if ".self_attention.linear[0].weight" in name:
        return (3 * d, d)
    if ".attention.linear[1].weight" in name:  # cross-attention keys and values, fused
        return (2 * d, d)
    if ".linear[" in name and name.endswith(".weight"):
        return (d, d)
    raise KeyError(name)


def build_ctranslate2(
    pieces: list[str], target: Path, d: int = 32, ffn: int = 64, seed: int = 0
) -> Path:
    from ctranslate2.specs import transformer_spec

    spec = transformer_spec.TransformerSpec.from_config(num_layers=1, num_heads=2)
    vocab = ["<unk>", "<s>", "</s>"] + [p for p in pieces if p not in ("<unk>", "<s>", "</s>")]
    rng = np.random.default_rng(seed)

    def fill(node, prefix: str = "") -> None:
        for key, value in vars(node).items():
            if key.startswith("_"):
                continue
            name = f"{prefix}{key}"
            if isinstance(value, list):
                for i, child in enumerate(value):
                    fill(child, f"{name}[{i}].")
            elif hasattr(value, "__dict__") and not isinstance(value, np.ndarray):
                fill(value, f"{name}.")
            elif value is None:
                shape = _shape(name, d, ffn, len(vocab), len(vocab))
                init = np.ones(shape) if name.endswith("gamma") else rng.normal(0, 0.3, shape)
                if name.endswith("beta"):
                    init = np.zeros(shape)
                setattr(node, key, init.astype(np.float32))

    fill(spec)
    bias = np.zeros(len(vocab), dtype=np.float32)
    bias[vocab.index("</s>")] = 1.5  # ends most sentences after a few tokens
    spec.decoder.projection.bias = bias
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.validate()
    model = target / "model"
    model.mkdir()
    spec.save(str(model))
    return model


def build_minisbd(lines: list[str], target: Path, lang: str = "zh-hans") -> Path:
    import onnx
    from onnx import TensorProto, helper

    chars = sorted({c for line in lines for c in line} | set(SENTENCE_ENDS) | {" "})
    id2unit = ["<PAD>", "<UNK>", "<EMPTY>", "<ROOT>"] + chars
    # classes: 0 inside a token, 1 token end, 2 sentence end (3, 4: multi-word tokens, unused)
    table = np.zeros((len(id2unit), 5), dtype=np.float32)
    table[:, 1] = 1.0  # every character ends a token ...
    for i, unit in enumerate(id2unit):
        if unit in SENTENCE_ENDS:
            table[i, 2] = 3.0  # ... and sentence-final punctuation ends a sentence
        elif unit.isascii() and unit.isalnum():
            table[i, 0] = 2.0  # Latin letters and digits continue a word
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "units"], ["logits"], axis=0)],
        "tiny-minisbd",
        [
            helper.make_tensor_value_info("units", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", "seq", "feats"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", 5])],
        [helper.make_tensor("table", TensorProto.FLOAT, table.shape, table.flatten().tolist())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    config = {
        "skip_newline": False,
        "max_seqlen": 1000,
        "no_ssplit": False,
        "batch_size": 32,
        "feat_funcs": ["space_before", "capitalized"],
        "use_dictionary": False,
        "num_dict_feat": 0,
    }
    vocab = {
        "lang": lang,
        "idx": 0,
        "cutoff": 0,
        "lower": False,
        "_unit2id": {u: i for i, u in enumerate(id2unit)},
        "_id2unit": id2unit,
    }
    for key, value in (
        ("lang_code", lang),
        ("config", json.dumps(config)),
        ("vocab", json.dumps(vocab)),
        ("lexicon", "null"),
    ):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    folder = target / "minisbd"
    folder.mkdir()
    onnx.save(model, str(folder / f"{lang}.onnx"))
    return folder


def build_package(
    target: Path, from_code: str = "zh", to_code: str = "en", version: str = "0.1"
) -> Path:
    """Build `translate-zh_en-0_1.argosmodel` in target; returns its path."""
    import sentencepiece as spm

    work = target / f"translate-{from_code}_{to_code}-{version.replace('.', '_')}"
    work.mkdir(parents=True)
    lines = corpus()
    sp_model = build_sentencepiece(lines, work)
    processor = spm.SentencePieceProcessor(model_file=str(sp_model))
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    build_ctranslate2(pieces, work)
    build_minisbd(lines, work, "zh-hans" if from_code == "zh" else from_code)
    names = {"zh": "Chinese", "en": "English"}
    (work / "metadata.json").write_text(
        json.dumps(
            {
                "package_version": version,
                "argos_version": "1.11.0",
                "from_code": from_code,
                "from_name": names[from_code],
                "to_code": to_code,
                "to_name": names[to_code],
                "type": "translate",
                "package_name": f"tiny test model {from_code}-{to_code}",
            }
        )
    )
    archive = target / f"{work.name}.argosmodel"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(work.rglob("*")):
            zf.write(path, path.relative_to(target))
    return archive
