#!/usr/bin/env python3
"""A byte-level BPE tokenizer.json with exactly 256 tokens (id = byte value, no merges), so text can
be fed to the golden models (vocab 256, tests/reference/golden) end to end. The golden models are
random, so no real tokenizer would be more meaningful; every golden family tokenizer has 700+ ids
and does not fit. GPT-2 pipeline: ByteLevel pre-tokenizer (regex on, no prefix space) and decoder.

    .venv-tok/bin/python tests/reference/gen_bytes_tokenizer.py

Writes tests/data/tokenizers/bytes256/{tokenizer.json,tokenizer_config.json}.
"""
import json
import os

from tokenizers import Tokenizer, decoders, models, pre_tokenizers


def bytes_to_unicode():
    # GPT-2's printable byte alphabet (the same map the ByteLevel pre-tokenizer uses).
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "tokenizers", "bytes256")
    os.makedirs(out, exist_ok=True)
    alphabet = bytes_to_unicode()
    vocab = {alphabet[b]: b for b in range(256)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.save(os.path.join(out, "tokenizer.json"))
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"add_bos_token": False, "add_eos_token": False, "bos_token": None, "eos_token": None}, f, indent=1)
        f.write("\n")
    # The library itself must map every byte to its own value.
    text = "Héllo, wörld! 123\n\tend ✓"
    ids = tok.encode(text).ids
    assert ids == list(text.encode("utf-8")), ids
    assert tok.decode(ids) == text
    print("ok:", len(vocab), "tokens;", text.encode("utf-8"), "->", ids[:8], "...")


if __name__ == "__main__":
    main()
