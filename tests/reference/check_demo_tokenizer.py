#!/usr/bin/env python3
"""Cross-checks the demo tokenizer (resources/demo/tokenizer/, written by `moe-compress
train-tokenizer`) against the Hugging Face libraries, and writes the golden ids that
tests/core/test_bpe_trainer.cpp compares our Tokenizer with.

    .venv-ref/bin/python tests/reference/check_demo_tokenizer.py [--corpus DIR]

1. Loads tokenizer.json with `tokenizers` and with `transformers.AutoTokenizer` (tokenizer_config.json
   included) and checks that both give the same ids, and decode them back to the text, on every case
   and on resources/demo/{eval,calib}.txt.
2. With --corpus DIR (the output of resources/demo/make-corpus.sh): trains the library's own
   BpeTrainer on DIR/train.txt with the same settings and checks that it learns the same vocabulary
   and merges, in the same order.
   It also prints a bigram baseline on the demo tokenisation (interpolated bigram/add-one unigram,
   weight tuned on validation.txt): perplexity of resources/demo/eval.txt and multiple-choice
   accuracy on resources/demo/tasks.jsonl, scored as core/eval does (issue 8's bars).
3. Writes tests/reference/tokenizers/demo/cases.json: ids of short texts (held-out verses, edge cases)
   and, for the demo text files, their token count and FNV-1a 64 hash of the ids.
Exits non-zero on any mismatch.
"""
import argparse
import json
import os
import sys

import tokenizers
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TOK_DIR = os.path.join(ROOT, "resources", "demo", "tokenizer")
OUT = os.path.join(ROOT, "tests", "reference", "tokenizers", "demo", "cases.json")
TEXT_FILES = ["resources/demo/eval.txt", "resources/demo/calib.txt"]

EDGE_CASES = [
    "",
    "In the beginning God created the heaven and the earth.",
    "And the LORD said unto Moses,\n\nAnd it came to pass.",
    "  leading spaces, trailing spaces   ",
    "tabs\tand\r\nwindows lines\n\n\n",
    "Numbers 3:16 and 1234567890 and 3.14159",
    "Grüße, 世界! 👨‍👩‍👧 naïve café — “quotes” ‘single’ …",
    "don't won't he'll I'm we've they're she'd IT'S",
    "<|endoftext|>",
    "first<|endoftext|>second <|endoftext|> third",
    "<|endoftext",
    "x" * 300,
    "zzzzqqqq xylophone Jehoshaphat Mahershalalhashbaz",
    "\x00\x01\x7f control bytes",
]


def fnv1a64(ids):
    h = 0xCBF29CE484222325
    for i in ids:
        for b in int(i).to_bytes(4, "little", signed=True):
            h ^= b
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def held_out_verses(n):
    """Every 40th line of eval.txt: verses of the test split, never trained on."""
    with open(os.path.join(ROOT, "resources", "demo", "eval.txt"), encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    return lines[::40][:n]


def check_training(corpus, ours):
    vocab_size = ours.get_vocab_size(with_added_tokens=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    with open(os.path.join(corpus, "train.txt"), encoding="utf-8") as f:
        text = f.read()
    tok.train_from_iterator([text], trainer=trainer)
    theirs = json.loads(tok.to_str())["model"]
    mine = json.loads(ours.to_str())["model"]
    merges_theirs = [" ".join(m) if isinstance(m, list) else m for m in theirs["merges"]]
    merges_mine = [" ".join(m) if isinstance(m, list) else m for m in mine["merges"]]
    same_vocab = theirs["vocab"] == mine["vocab"]
    same_merges = merges_theirs == merges_mine
    print(f"library BpeTrainer on train.txt: vocab {len(theirs['vocab'])} {'==' if same_vocab else '!='} ours, "
          f"merges {len(merges_theirs)} {'==' if same_merges else '!='} ours")
    if not same_merges:
        for i, (a, b) in enumerate(zip(merges_theirs, merges_mine)):
            if a != b:
                print(f"  first difference at merge {i}: library {a!r}, ours {b!r}")
                break
    return same_vocab and same_merges


def bigram_baseline(corpus, tok):
    import collections
    import math
    read = lambda p: tok.encode(open(p, encoding="utf-8").read()).ids
    train = read(os.path.join(corpus, "train.txt"))
    vocab, total = tok.get_vocab_size(), len(train)
    uni = collections.Counter(train)
    big = collections.Counter(zip(train, train[1:]))

    def logp(a, b, lam):
        pu = (uni[b] + 1) / (total + vocab)
        return math.log(lam * (big[(a, b)] / uni[a] if uni[a] else 0.0) + (1 - lam) * pu)

    def ppl(ids, lam):
        return math.exp(-sum(logp(a, b, lam) for a, b in zip(ids, ids[1:])) / (len(ids) - 1))

    val = read(os.path.join(corpus, "validation.txt"))
    lam = min((ppl(val, l), l) for l in [0.5, 0.6, 0.7, 0.8, 0.9, 0.95])[1]
    ev = read(os.path.join(ROOT, "resources", "demo", "eval.txt"))
    windows = [ev[i:i + 512] for i in range(0, len(ev) - 511, 512)]  # as eval -s 512: 511 predictions each
    nll = sum(-logp(a, b, lam) for w in windows for a, b in zip(w, w[1:]))
    print(f"bigram baseline (weight {lam}): eval.txt perplexity {math.exp(nll / (511 * len(windows))):.2f} "
          f"over {len(windows)} windows of 512, {ppl(ev, lam):.2f} over the whole stream")
    acc = acc_norm = n = 0
    with open(os.path.join(ROOT, "resources", "demo", "tasks.jsonl"), encoding="utf-8") as f:
        for line in f:
            q = json.loads(line)
            ctx = tok.encode(q["context"]).ids
            scores = []
            for c in q["choices"]:
                full = tok.encode(q["context"] + " " + c).ids
                s = sum(logp(a, b, lam) for a, b in zip(full[len(ctx) - 1:], full[len(ctx):]))
                scores.append((s, s / len(c)))
            first_best = lambda k: max(range(len(scores)), key=lambda i: (scores[i][k], -i))
            acc += first_best(0) == q["gold"]
            acc_norm += first_best(1) == q["gold"]
            n += 1
    print(f"bigram baseline on tasks.jsonl: acc {acc / n:.3f}, acc_norm {acc_norm / n:.3f} (n={n}, chance 0.25)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", help="folder with train.txt from make-corpus.sh")
    args = ap.parse_args()

    fast = Tokenizer.from_file(os.path.join(TOK_DIR, "tokenizer.json"))
    auto = transformers.AutoTokenizer.from_pretrained(TOK_DIR)
    ok = True
    assert auto.eos_token == "<|endoftext|>" and auto.eos_token_id == 0 and auto.bos_token is None, auto
    assert auto.pad_token_id == 0

    cases = []
    for text in EDGE_CASES + held_out_verses(20):
        ids = fast.encode(text).ids
        ids_auto = auto(text, add_special_tokens=True)["input_ids"]
        if ids != ids_auto:
            print(f"MISMATCH tokenizers vs transformers on {text!r}: {ids} vs {ids_auto}")
            ok = False
        if fast.decode(ids, skip_special_tokens=False) != text:
            print(f"decode is not the identity on {text!r}")
            ok = False
        cases.append({"text": text, "ids": ids})

    files = []
    for rel in TEXT_FILES:
        path = os.path.join(ROOT, rel)
        if not os.path.exists(path):
            print(f"skipping {rel} (missing)")
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        ids = fast.encode(text).ids
        ids_auto = auto(text)["input_ids"]
        same = ids == ids_auto
        ok &= same and fast.decode(ids) == text
        print(f"{rel}: {len(text)} chars, {len(ids)} tokens, {len(text) / len(ids):.3f} chars/token, "
              f"transformers {'same ids' if same else 'DIFFERENT ids'}")
        files.append({"file": rel, "chars": len(text), "tokens": len(ids), "fnv1a64": fnv1a64(ids)})

    if args.corpus:
        ok &= check_training(args.corpus, fast)
        bigram_baseline(args.corpus, fast)

    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"tokenizers_version": tokenizers.__version__, "transformers_version": transformers.__version__,
                   "vocab_size": fast.get_vocab_size(with_added_tokens=True), "files": files, "cases": cases},
                  f, ensure_ascii=False, indent=None)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}: {len(cases)} cases; {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
