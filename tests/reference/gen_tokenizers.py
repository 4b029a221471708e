#!/usr/bin/env python3
"""Golden data for core/io/tokenizer*: small BPE tokenizers trained with the Hugging Face
`tokenizers` library on text found on a Debian machine, each wired with the real pipeline of one
model family (normalizer, pre-tokenizer regexes, decoder, post-processor, added tokens), plus the
library's own encode/decode output for a varied set of texts.

No hub is reachable, so the real tokenizer.json files cannot be used; what matters for exactness
is the pipeline (regexes, byte-level mapping, byte fallback, merge order), which is the same as the
real models' whatever the vocabulary.

    python3 -m venv .venv-tok && .venv-tok/bin/pip install tokenizers
    .venv-tok/bin/python tests/reference/gen_tokenizers.py

Writes tests/reference/tokenizers/<family>/{tokenizer.json,tokenizer_config.json,cases.json}.
"""
import glob
import json
import os

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokenizers")

# --- the real split patterns -------------------------------------------------------------------
# Qwen2 / Qwen2-MoE / Qwen3(-MoE) tokenizer.json, Split(..., Isolated) before ByteLevel.
QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# Llama-3 style (same as Qwen but digits in runs of up to three).
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# DeepSeek-LLM / DeepSeekMoE / DeepSeek-V2(-Lite): a Sequence of Splits, then Digits, then ByteLevel.
# Three Greek Extended range ends are written escaped: they must stay the un-normalized code points
# (U+1F7D, U+1FD3, U+1FDB), otherwise the ranges run backwards.
DEEPSEEK_LETTERS = (
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-"
    "\u1f7dᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-\u1fd3ῖ-\u1fdbῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗ"
    "Ａ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+")
DEEPSEEK_PUNCT = "\\s?[!-/:-~！-／：-～‘-‟　-。]+"
DEEPSEEK_CJK = "[一-龥ࠀ-一가-퟿]+"
# DeepSeek-V3 style: digits in groups of up to three, CJK + kana, then a Llama-3-like word pattern.
DEEPSEEK3_DIGITS = "\\p{N}{1,3}"
DEEPSEEK3_CJK = "[一-龥぀-ゟ゠-ヿ]+"
DEEPSEEK3_MAIN = ("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
                  " ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+")

EXTRA_TEXT = """\
Le café était fermé; naïve Ångström résumé Zürich straße. Ελληνικά κείμενα και русский текст здесь.
中文测试：你好，世界！这是一个用于训练的小语料库。日本語のテキストもあります。한국어 텍스트입니다.
def main(argv):\n    for i in range(10):\n        print(f"{i:03d} -> {i ** 2}")\n    return 0
Numbers like 1234567890, 3.14159 and 2,718,281 appear; so do emails a.b@example.org and URLs.
"""


def corpus():
    texts = []
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                texts.append(f.read())
    texts.extend([EXTRA_TEXT] * 20)
    return texts


CASES = [
    "",
    "Hello world",
    "Hello, world! How are you doing today?",
    "a",
    " ",
    "   ",
    "\n",
    "  leading spaces and trailing   ",
    " single leading space",
    "I'm sure you're right; he'll say they've done it, she'd agree, it's DON'T and We'LL.",
    "Accents: café, naïve, Ångström, résumé, Zürich, straße.",
    "Decomposed: cafe\u0301 and A\u030angstro\u0308m, marks e\u0301\u0302 a\u0328\u0301 ; Hangul \u1100\u1161\u11a8",
    "Singletons: \u212b \u212a \u2126 and compatibility \ufb01 \u2460 \u00b2 \uff46\uff55\uff4c\uff4c",
    "中文测试：你好，世界！日本語のテキスト。한국어 텍스트",
    "混合English和中文123数字",
    "Ελληνικά και русский текст",
    "Emoji 👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇩🇪 heart ❤️ and 🤖!",
    "tabs\tand\nnewlines\r\n\n\nmultiple    spaces   \n  end",
    "\t\t\tindented\n\n",
    "Numbers 1234567890 3.14159 1,000,000 and 007 and ١٢٣ ²³",
    "def f(x):\n    return x**2  # comment\n\nif __name__ == '__main__':\n\tprint(f(3))\n",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }  // dot",
    "Unicode spaces: nbsp\u00a0here, ideographic\u3000space, en\u2002space, line\u2028sep, nel\u0085x",
    "Control \x00\x01\x7f chars",
    "pneumonoultramicroscopicsilvervolcanoconiosis",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "!!!??? ... --- ___ === +++ ~~~",
    "Trailing spaces before newline   \nnext line\t \n",
    "The GNU General Public License is a free, copyleft license for software and other kinds of works.",
    "email a.b@example.org url https://example.com/path?q=1&r=2#frag",
    "Math: ∑ x² ≤ ∞, α+β=γ, √2 ≈ 1.414",
    "Ａｂｃ fullwidth ＡＢＣ and halfwidth ｶﾀｶﾅ",
    "Mixed\u200bzero\u200dwidth\ufeffbom",
    # Code points newer than Unicode 14, where Oniguruma's classes and PCRE2's differ, and U+180E.
    "Newer: \U000105c0\U000105c1 abc\U00010d40\U00010d41 12 \ua7cb\ua7cc \u1c89x y\u180ez \U0001e5f1\U0001e5f2",
]


# Building blocks for random texts: the fixed cases above are what a person thinks of, these find
# what nobody did (boundaries between scripts, whitespace kinds, marks after anything).
PIECES = ["the", "The", " of", "licen", "se", "GNU", "'s", "'LL", "'t", " ", "  ", "   ", "\t", "\n", "\r\n",
          "\n\n", " \n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u200b", "0", "7", "12", "345", "2024",
          "\u0663", "\u00b2", ".", ",", "!", "?", "...", "-", "_", "(", ")", "{", "}", "#", "@", "$", "%", "'",
          '"', "\\", "/", "é", "e\u0301", "\u0301", "\u0328", "ñ", "ß", "Å", "\u212b", "\ufb01", "Ω", "ж",
          "Ж", "中", "文", "你好", "。", "，", "！", "日本", "の", "カタ", "한", "국", "\u1100\u1161", "👍", "🏽",
          "👨\u200d👩", "🇫🇷", "❤\ufe0f", "𝔘", "\x00", "\x7f", "<", ">", "|", "<s>", "</s>", "<|", "|>", "▁",
          "<0x41>", "[MASK]", "<mask>", "wordtok", "xyz", "|||", "``", ";", ":", "ﬁ", "①", "ｆ", "ｶﾀ"]


def random_cases(specials, count=120, seed=1234):
    import random
    rng = random.Random(seed)
    pool = PIECES + list(specials)
    return ["".join(rng.choice(pool) for _ in range(rng.randint(1, 24))) for _ in range(count)]


def write_family(name, tok, config, extra_cases=()):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    tok.save(os.path.join(folder, "tokenizer.json"), pretty=False)
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)
        f.write("\n")
    # Re-load from disk so the reference is exactly what the C++ side reads.
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    cases = []
    specials = [t.content for t in tok.get_added_tokens_decoder().values()]
    for text in list(CASES) + list(extra_cases) + random_cases(specials):
        with_special = tok.encode(text, add_special_tokens=True).ids
        without = tok.encode(text, add_special_tokens=False).ids
        cases.append({
            "text": text,
            "ids": with_special,
            "ids_no_special": without,
            "decoded": tok.decode(with_special, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(with_special, skip_special_tokens=True),
        })
    info = {"tokenizers_version": tokenizers.__version__, "vocab_size": tok.get_vocab_size(True),
            "cases": cases}
    with open(os.path.join(folder, "cases.json"), "w", encoding="utf-8") as f:
        # One case a line: small diffs when the generator changes, still easy to read.
        head = {k: v for k, v in info.items() if k != "cases"}
        f.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
        f.write("\n]}\n")


def byte_level_trainer(vocab_size, special):
    return trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, show_progress=False,
                               initial_alphabet=pre_tokenizers.ByteLevel.alphabet())


def added(content, special=True, normalized=None, **kw):
    return tokenizers.AddedToken(content, special=special,
                                 normalized=(not special) if normalized is None else normalized, **kw)


def qwen2():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tok.train_from_iterator(corpus(), byte_level_trainer(1000, []))
    tok.add_tokens([added("<|endoftext|>"), added("<|im_start|>"), added("<|im_end|>")])
    # Qwen3 ships these as non-special, non-normalized added tokens.
    tok.add_tokens([added("<think>", special=False, normalized=False),
                    added("</think>", special=False, normalized=False)])
    config = {"add_bos_token": False, "add_eos_token": False, "bos_token": None,
              "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
              "chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}",
              "tokenizer_class": "Qwen2Tokenizer"}
    write_family("qwen2", tok, config, [
        "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n<think>\nhmm\n</think>\nHello!<|im_end|><|endoftext|>",
        "<|endoftext|>",
        "x<|im_end|>y <|im_start|> z",
        "<|im_start<|im_end|>|>",
    ])


def llama3():
    """Llama-3 style: Split(Llama-3 regex) + ByteLevel, BPE with ignore_merges, BOS template."""
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    tok.train_from_iterator(corpus(), byte_level_trainer(900, []))
    tok.add_special_tokens([added("<|begin_of_text|>"), added("<|end_of_text|>"), added("<|eot_id|>")])
    bos = "<|begin_of_text|>"
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True),
        processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos}:1 $B:1",
                                      special_tokens=[(bos, tok.token_to_id(bos))])])
    config = {"add_bos_token": True, "bos_token": bos, "eos_token": "<|eot_id|>"}
    write_family("llama3", tok, config, ["<|begin_of_text|>Numbers 1234567 and 89.", "license licenses licensed"])


def deepseek_v2():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.Sequence([])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex("[\r\n]"), behavior="isolated", invert=False),
        pre_tokenizers.Split(Regex(DEEPSEEK_LETTERS), behavior="isolated", invert=False),
        pre_tokenizers.Split(Regex(DEEPSEEK_PUNCT), behavior="isolated", invert=False),
        pre_tokenizers.Split(Regex("\\s+$"), behavior="isolated", invert=False),
        pre_tokenizers.Split(Regex(DEEPSEEK_CJK), behavior="isolated", invert=False),
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    bos, eos = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
    tok.train_from_iterator(corpus(), byte_level_trainer(1000, [bos, eos]))
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1",
        special_tokens=[(bos, tok.token_to_id(bos))])
    tok.add_tokens([added("<｜fim▁hole｜>", special=False), added("<｜fim▁begin｜>", special=False),
                    added("User:", special=False, normalized=True),
                    added(bos), added(eos)])
    config = {"add_bos_token": True, "add_eos_token": False,
              "bos_token": {"__type": "AddedToken", "content": bos, "lstrip": False, "normalized": True,
                            "rstrip": False, "single_word": False},
              "eos_token": {"__type": "AddedToken", "content": eos, "lstrip": False, "normalized": True,
                            "rstrip": False, "single_word": False},
              "tokenizer_class": "LlamaTokenizerFast"}
    write_family("deepseek_v2", tok, config, [
        f"{bos}User: hello\n\nAssistant: hi{eos}",
        "<｜fim▁begin｜>def f():<｜fim▁hole｜>return 1",
        "line one   \nline two  \n\n   ",
    ])


def deepseek_v3():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.Sequence([])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(DEEPSEEK3_DIGITS), behavior="isolated", invert=False),
        pre_tokenizers.Split(Regex(DEEPSEEK3_CJK), behavior="isolated", invert=False),
        pre_tokenizers.Split(Regex(DEEPSEEK3_MAIN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    bos, eos = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
    tok.train_from_iterator(corpus(), byte_level_trainer(800, [bos, eos]))
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1",
        special_tokens=[(bos, tok.token_to_id(bos))])
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": bos, "eos_token": eos}
    write_family("deepseek_v3", tok, config, [f"{bos}x = 12345678; y = 3.14159265{eos}"])


def olmoe():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.train_from_iterator(corpus(), byte_level_trainer(1000, ["|||IP_ADDRESS|||", "<|padding|>"]))
    # GPT-NeoX: runs of spaces as normalized, non-special added tokens (leftmost-longest matching).
    tok.add_tokens([added(" " * n, special=False) for n in (24, 8, 4, 3, 2)])
    tok.add_tokens([added("|||EMAIL_ADDRESS|||", special=False), added("|||PHONE_NUMBER|||", special=False),
                    added("<|endoftext|>")])
    config = {"add_bos_token": False, "add_eos_token": False, "bos_token": None,
              "eos_token": "<|endoftext|>", "pad_token": "<|padding|>", "tokenizer_class": "GPTNeoXTokenizer"}
    write_family("olmoe", tok, config, [
        "Contact |||EMAIL_ADDRESS||| or |||PHONE_NUMBER|||<|endoftext|>",
        "x" + " " * 37 + "y" + " " * 5 + "z" + " " * 2,
        "<|padding|><|padding|>text|||IP_ADDRESS|||",
    ])


def llama_vocab(trained):
    """Llama/Mistral layout: <unk> <s> </s>, then <0x00>..<0xFF>, then the learned pieces."""
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    learned = sorted(trained.get_vocab().items(), key=lambda kv: kv[1])
    for piece, _ in learned:
        if piece not in vocab:
            vocab[piece] = len(vocab)
    model = json.loads(trained.to_str())["model"]
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return vocab, merges


def train_llama_pieces(vocab_size):
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<unk>"], show_progress=False,
                                  limit_alphabet=150)
    tok.train_from_iterator(corpus(), trainer)
    return tok


def llama_family(name, variant):
    vocab, merges = llama_vocab(train_llama_pieces(900))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    if variant == "normalizer":  # Mixtral-8x7B / Llama-2: normalizer does the metaspace work.
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Strip(content=" ", left=1, right=0)])
    else:  # newer Mistral/Llama form: Metaspace pre-tokenizer, prepend only at the very start.
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
        tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Strip(content=" ", left=1, right=0)])
    tok.add_special_tokens([added("<unk>"), added("<s>"), added("</s>")])
    tok.post_processor = processors.TemplateProcessing(single="<s>:0 $A:0", pair="<s>:0 $A:0 <s>:1 $B:1",
                                                       special_tokens=[("<s>", 1)])
    if variant == "metaspace":
        # Added-token flags: lstrip/rstrip/single_word and a normalized non-special token.
        tok.add_tokens([added("[INST]", special=True), added("[/INST]", special=True),
                        added("<mask>", special=True, lstrip=True, rstrip=True),
                        added("wordtok", special=False, single_word=True)])
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
              "unk_token": "<unk>", "legacy": False, "tokenizer_class": "LlamaTokenizer"}
    write_family(name, tok, config, [
        "<s>[INST] What is 2+2? [/INST] Four</s>",
        "<s> hello</s> <unk>",
        "fill <mask>  here and   <mask>x",
        "wordtok alone, inwordtok, wordtok!, wordtoks",
        "Bytes: ☃ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ▁ literal metaspace ▁▁",
    ])


def edge_cases():
    """Components the families above do not exercise: split behaviours, invert, Digits(contiguous),
    Whitespace, string patterns, NFKC, Lowercase, Strip, added-token flags, BOS+EOS template."""
    tok = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Strip(left=True, right=False),
                                           normalizers.Replace(Regex("[0-9]{5,}"), "#####"),
                                           normalizers.Replace("``", '"')])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(",", behavior="removed"),
        pre_tokenizers.Split(Regex(";+"), behavior="merged_with_previous"),
        pre_tokenizers.Split(":", behavior="merged_with_next"),
        pre_tokenizers.Split(Regex("[a-z]+"), behavior="contiguous", invert=True),
        pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.Whitespace(),
    ])
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["[UNK]", "[CLS]", "[SEP]"], show_progress=False,
                                  continuing_subword_prefix="##", end_of_word_suffix="</w>", limit_alphabet=120)
    tok.train_from_iterator(corpus(), trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    tok.add_tokens([added("[MASK]", special=True, lstrip=True, rstrip=True), added("xyz", special=False),
                    added("new token", special=False, single_word=True)])
    write_family("edge_cases", tok, {"bos_token": "[CLS]", "eos_token": "[SEP]"}, [
        "a,b,,c;d;;e:f:g  h",
        "  stripped left, numbers 123456789 and 1234, quotes ``x``",
        "ABC abc [MASK] xyzxyz new token newtoken [MASK]",
        "ﬁ ligature ① ² ｆｕｌｌ",
    ])


def onig_property_extras():
    """Code points the `tokenizers` regex engine (Oniguruma, newer Unicode) puts in \\p{L}, \\p{N}, ...
    that Unicode 14 (Debian 12's PCRE2, and this Python's unicodedata) does not: the C++ side adds them
    to the PCRE2 classes so both engines split alike."""
    import unicodedata
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    text = "".join(chars)
    extras = {}
    for name, pattern, cats in [("L", r"\p{L}", "L"), ("N", r"\p{N}", "N"), ("P", r"\p{P}", "P"),
                                ("S", r"\p{S}", "S"), ("M", r"\p{M}", "M"), ("Nd", r"\d", "Nd")]:
        kept = set()
        for piece, _ in pre_tokenizers.Split(Regex(pattern), behavior="removed").pre_tokenize_str(text):
            kept.update(ord(ch) for ch in piece)
        onig = {ord(c) for c in chars if ord(c) not in kept}
        local = {ord(c) for c in chars if unicodedata.category(c).startswith(cats)}
        extras[name] = ranges(sorted(onig - local))
    return extras


def rust_word_ranges():
    """Rust regex's \\w as the library uses it (Whitespace pre-tokenizer, single_word added tokens),
    measured: a character is a word character when the Whitespace pre-tokenizer keeps it with a
    following letter. Also checks that its \\s is White_Space, as the C++ side assumes."""
    import unicodedata
    ws = pre_tokenizers.Whitespace()
    word, space = [], []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        pieces = [p for p, _ in ws.pre_tokenize_str(chr(cp) + "a")]
        if pieces == [chr(cp) + "a"]:
            word.append(cp)
        elif pieces == ["a"]:
            space.append(cp)
    white_space = [0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
                   0x202F, 0x205F, 0x3000]
    assert space == white_space, space
    return ranges(word)


def ranges(codes):
    out = []
    for c in codes:
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def unicode_tables(path):
    """core/io/tokenizer_unicode_tables.cpp (composition data, the Oniguruma extras) and
    tokenizer_unicode_decompositions.cpp (decompositions): NFC/NFD/NFKC/NFKD data.

    The library normalizes with older Unicode data than this Python's, so every entry is checked
    against the library itself: characters it does not decompose, reorder or compose are left out."""
    import unicodedata
    nfc, nfd, nfkd = normalizers.NFC(), normalizers.NFD(), normalizers.NFKD()
    def library_class(ch, c):
        # Combining classes never change once assigned, so the only question is whether the
        # library knows ch at all: it then sorts it against a mark of another class.
        grave, below = "\u0300", "\u0316"  # classes 230 and 220, in Unicode since 1.1
        if c < 230:
            known = nfd.normalize_str(grave + ch) == ch + grave
        elif c > 230:
            known = nfd.normalize_str(ch + grave) == grave + ch
        else:
            known = nfd.normalize_str(ch + below) == below + ch
        return c if known else 0

    decomp, ccc, comps = [], [], []
    for cp in range(0x110000):
        ch = chr(cp)
        d = unicodedata.decomposition(ch)
        if d:
            compat = d.startswith("<")
            parts = d.split(" ")[1:] if compat else d.split(" ")
            known = (nfkd if compat else nfd).normalize_str(ch) != ch
            if known:
                decomp.append(("!" if compat else "") + f"{cp:X}:" + " ".join(p.lstrip("0") or "0" for p in parts))
            if known and not compat and len(parts) == 2:
                a, b = (int(x, 16) for x in parts)
                if nfc.normalize_str(chr(a) + chr(b)) == ch:
                    comps.append(f"{a:X} {b:X} {cp:X}")
        c = unicodedata.combining(ch)
        if c and not 0xD800 <= cp < 0xE000:
            c = library_class(ch, c)
        if c:
            if ccc and ccc[-1][1] == cp - 1 and ccc[-1][2] == c:
                ccc[-1][1] = cp
            else:
                ccc.append([cp, cp, c])
    extras = onig_property_extras()

    def chunks(items, sep):
        line, lines = "", []
        for item in items:
            if len(line) + len(item) > 110:
                lines.append(line)
                line = ""
            line += item + sep
        if line:
            lines.append(line)
        return "\n".join(f'    "{l}"' for l in lines)

    decomp_path = os.path.join(os.path.dirname(path), "tokenizer_unicode_decompositions.cpp")
    with open(decomp_path, "w", encoding="utf-8") as f:
        f.write(f"""// Generated by tests/reference/gen_tokenizers.py --unicode-tables (decompositions; Unicode {unicodedata.unidata_version},
// tokenizers {tokenizers.__version__}); do not edit. Kept as compact text parsed once on first use: a
// few thousand entries as C arrays would be several times larger to compile.
#include "core/io/tokenizer_unicode.h"

namespace moewb::tokenizer_detail {{

// "cp:d1 d2 ...;" canonical decompositions, "!cp:..." compatibility ones (hex).
const char* const kDecompositionTable =
{chunks(decomp, ";")};

}} // namespace moewb::tokenizer_detail
""")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""// Generated by tests/reference/gen_tokenizers.py --unicode-tables (Unicode {unicodedata.unidata_version},
// tokenizers {tokenizers.__version__}); do not edit. Kept as compact text parsed once on first use: a
// few thousand entries as C arrays would be several times larger to compile.
#include "core/io/tokenizer_unicode.h"

namespace moewb::tokenizer_detail {{

// "first-last:class;" canonical combining classes other than 0.
const char* const kCombiningClassTable =
{chunks([f"{a:X}-{b:X}:{c}" for a, b, c in ccc], ";")};

// "a b composite;" primary composites (composition exclusions left out).
const char* const kCompositionTable =
{chunks(comps, ";")};

// Code points Oniguruma's newer Unicode data puts in a property that Unicode {unicodedata.unidata_version} does not.
""")
        for name, rs in extras.items():
            items = [f"{a:X}-{b:X}" for a, b in rs] or [""]
            f.write(f"const char* const kOnigExtra{name} =\n{chunks(items, ',')};\n")
        items = [f"{a:X}-{b:X}" for a, b in rust_word_ranges()]
        f.write("\n// Rust regex \\w as the library sees it (Whitespace pre-tokenizer, single_word tokens).\n"
                f"const char* const kRustWordRanges =\n{chunks(items, ',')};\n")
        f.write("\n} // namespace moewb::tokenizer_detail\n")


def main():
    import sys
    if "--unicode-tables" in sys.argv:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        unicode_tables(os.path.join(root, "core", "io", "tokenizer_unicode_tables.cpp"))
        return
    qwen2()
    llama3()
    deepseek_v2()
    deepseek_v3()
    olmoe()
    llama_family("llama_normalizer", "normalizer")
    llama_family("llama_metaspace", "metaspace")
    edge_cases()


if __name__ == "__main__":
    main()
