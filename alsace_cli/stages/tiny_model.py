"""`alsace tiny-model`: a tiny random model and a tokenizer built locally from a dataset's texts (no download):
a BERT encoder (and its masked-LM form, for `probe`), and MT models of the three kinds translate handles: NLLB
(M2M100 architecture, language codes as the decoder's first token), Marian (one model per language pair) and
MADLAD-style T5 (a `<2xx>` tag before the text). For tests and smoke runs: they run every stage in seconds on a
CPU and learn nothing, so their figures are never a result.

Each builder is deterministic: the vocabulary is built here from the texts' words (ties broken
alphabetically) or by SentencePiece with one thread, and the weights come from the seed; two builds are the
same bytes.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from alsace_cli.configs.stages import TinyModelConfig
from alsace_cli.io.artifacts import load_dataset
from alsace_cli.io.atomic import atomic_dir
from alsace_cli.io.outputs import check_outputs, model_output
from alsace_cli.io.provenance import package_versions
from alsace_cli.runtime import report
from alsace_cli.tasks import get_task
from alsace_cli.tasks.models import quiet_transformers

TINY_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
TINY_KINDS = ("bert", "bert-mlm", "nllb", "marian", "madlad")


# The tiny BERT's positions: `alsace run` checks every stage's max_length against it before building it.
TINY_MAX_LENGTH = 256


def build_tiny_model(
    out_dir: str | Path,
    texts: list[str],
    seed: int = 0,
    vocab_size: int = 3000,
    dropout: float = 0.1,
    masked_lm: bool = False,
) -> Path:
    """A small random BERT encoder and a WordPiece tokenizer trained on `texts`, all built locally.

    For tests and the offline demo: it runs every stage in seconds on a CPU, learns little, and needs no
    download. Its figures are a smoke run, never a result.
    """
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForMaskedLM, BertModel, PreTrainedTokenizerFast

    quiet_transformers()
    normalizer = normalizers.BertNormalizer(handle_chinese_chars=True, lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # The vocabulary is built here rather than by a `tokenizers` trainer, whose merges tie-break in hash
    # order and so differ from process to process: every character (alone and as a ##continuation), then
    # the most frequent words, ties broken alphabetically. Same texts, same vocabulary.
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    chars = sorted({char for word in counts for char in word})
    words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if len(w) > 1]
    tokens = list(dict.fromkeys(TINY_SPECIALS + chars + [f"##{c}" for c in chars] + words))[:vocab_size]
    tokenizer = Tokenizer(models.WordPiece(vocab={t: i for i, t in enumerate(tokens)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=TINY_MAX_LENGTH,
    )
    config = BertConfig(
        vocab_size=len(fast),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=TINY_MAX_LENGTH,
        hidden_dropout_prob=dropout,  # 0.1, BERT's, unless a test needs runs without random masks
        attention_probs_dropout_prob=dropout,
    )
    torch.manual_seed(seed)
    model = BertForMaskedLM(config) if masked_lm else BertModel(config)
    return _save(out_dir, model, fast, seed, len(texts), "bert-mlm" if masked_lm else "bert")


def _save(
    out_dir: str | Path,
    model: Any,
    tokenizer: Any,
    seed: int,
    texts: int,
    kind: str,
    files: dict[str, bytes] | None = None,
) -> Path:
    out_dir = Path(out_dir)
    provenance = {
        "stage": "tiny-model",
        "versions": package_versions(),
        "seed": seed,
        "texts": texts,
        "inputs": {},
    }
    if kind != "bert":  # the BERT's provenance predates kinds (the golden runs pin its bytes)
        provenance["kind"] = kind
    with atomic_dir(out_dir) as tmp:
        for name, data in (files or {}).items():
            (tmp / name).write_bytes(data)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        # alsace wrote it, so `--overwrite` may replace it; no time in it, so two builds are the same bytes
        (tmp / "alsace_provenance.json").write_text(json.dumps(provenance, indent=2))
    return out_dir


def _words(texts: list[str]) -> list[str]:
    """Whitespace-separated words as SentencePiece-style pieces (`▁word`), most frequent first, ties A-Z."""
    counts = Counter("▁" + word for text in texts for word in text.split())
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _prefix_bpe(
    texts: list[str], specials: list[str], vocab_size: int
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A BPE vocabulary without a trainer (whose merges tie-break in hash order): every character, then the
    frequent words built up one character at a time, each step one merge."""
    words = _words(texts)
    vocab = {token: i for i, token in enumerate(specials)}
    for char in sorted({c for w in words for c in w}):
        vocab.setdefault(char, len(vocab))
    merges: list[tuple[str, str]] = []
    for word in words:
        for k in range(2, len(word) + 1):
            if len(vocab) >= vocab_size:
                return vocab, merges
            if word[:k] not in vocab:
                vocab[word[:k]] = len(vocab)
                merges.append((word[: k - 1], word[k - 1]))
    return vocab, merges


def _sentencepiece(texts: list[str], vocab_size: int) -> bytes:
    """A unigram SentencePiece model trained on `texts` with one thread (the same bytes every time)."""
    import io

    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
        bos_id=-1,
        eos_id=1,
        unk_id=2,
        pad_id=0,
    )
    return model.getvalue()


def _seq2seq_sizes() -> dict[str, int]:
    return {
        "d_model": 32,
        "encoder_layers": 1,
        "decoder_layers": 1,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "encoder_ffn_dim": 64,
        "decoder_ffn_dim": 64,
        "max_position_embeddings": 256,
    }


def build_tiny_translator(out_dir: str | Path, texts: list[str], kind: str, seed: int = 0) -> Path:
    """A random MT model of `kind` (nllb, marian, madlad) with a tokenizer built from `texts`."""
    import torch

    quiet_transformers()
    build = {"nllb": _tiny_nllb, "marian": _tiny_marian, "madlad": _tiny_madlad}[kind]
    torch.manual_seed(seed)
    model, tokenizer, files = build(texts)
    return _save(out_dir, model, tokenizer, seed, len(texts), kind, files)


def _tiny_nllb(texts: list[str]) -> tuple[Any, Any, dict[str, bytes]]:
    """NLLB's tokenizer (its 202 FLORES-200 codes) over a small BPE vocabulary, and a random M2M100."""
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    vocab, merges = _prefix_bpe(texts, ["<s>", "<pad>", "</s>", "<unk>"], 1500)
    tokenizer = NllbTokenizer(vocab=vocab, merges=merges, src_lang="eng_Latn")
    config = M2M100Config(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        **_seq2seq_sizes(),
    )
    return M2M100ForConditionalGeneration(config), tokenizer, {}


def _tiny_marian(texts: list[str]) -> tuple[Any, Any, dict[str, bytes]]:
    """opus-mt's layout: source.spm, target.spm and vocab.json, and a random MarianMT."""
    import tempfile

    import sentencepiece as spm
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    model = _sentencepiece(texts, 400)
    pieces = spm.SentencePieceProcessor(model_proto=model)
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for i in range(pieces.get_piece_size()):
        vocab.setdefault(pieces.id_to_piece(i), len(vocab))
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("source.spm", "target.spm"):
            (Path(tmp) / name).write_bytes(model)
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab))
        tokenizer = MarianTokenizer(f"{tmp}/source.spm", f"{tmp}/target.spm", f"{tmp}/vocab.json")
    config = MarianConfig(
        vocab_size=len(tokenizer),
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        **_seq2seq_sizes(),
    )
    return MarianMTModel(config), tokenizer, {}


def _tiny_madlad(texts: list[str]) -> tuple[Any, Any, dict[str, bytes]]:
    """A T5 tokenizer with MADLAD's `<2xx>` tags (one per ISO 639-1 code alsace knows), and a random T5."""
    import sentencepiece as spm
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    from alsace_cli.translation.codes import FLORES

    pieces = spm.SentencePieceProcessor(model_proto=_sentencepiece(texts, 400))
    vocab = [(pieces.id_to_piece(i), pieces.get_score(i)) for i in range(pieces.get_piece_size())]
    tokenizer = T5Tokenizer(
        vocab=vocab, extra_ids=0, additional_special_tokens=[f"<2{c}>" for c in sorted(FLORES)]
    )
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=1,
        num_heads=2,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    return T5ForConditionalGeneration(config), tokenizer, {}


def tiny_model(config: TinyModelConfig, overwrite: bool = False) -> Path:
    check_outputs([model_output("OUT", config.out)], {"--data": config.data}, overwrite)
    texts: list[str] = []
    for path in config.data:
        dataset = load_dataset(path)
        for column in get_task(dataset.task).text_columns:
            texts += dataset.frame[column].astype(str).tolist()
    if config.kind in ("bert", "bert-mlm"):
        build_tiny_model(config.out, texts, seed=config.seed, masked_lm=config.kind == "bert-mlm")
        what = (
            "2-layer BERT" + (" with its masked-LM head" if config.kind == "bert-mlm" else "") + ", WordPiece"
        )
    else:
        build_tiny_translator(config.out, texts, config.kind, seed=config.seed)
        what = {"nllb": "M2M100 with NLLB's tokenizer", "marian": "MarianMT", "madlad": "T5 with <2xx> tags"}[
            config.kind
        ]
    report.info(f"tiny-model: random {what}; vocabulary from {len(texts)} texts → {report.esc(config.out)}")
    return Path(config.out)
