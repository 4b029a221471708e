#!/usr/bin/env bash
# moe-compress eval end to end on the golden models: text, token ids, tasks, --compare, --json, the
# errors a user meets first, and Ctrl-C (exit 130).   test_eval_cli.sh MOE_COMPRESS SOURCE_DIR
source "$(dirname "$0")/lib.sh" # bin, src, demo, golden, tok, tmp, failures; expect, check, finish
expect 0 'perplexity' -- "$bin" eval "$golden/mixtral" --tokenizer "$tok" --text "$src/README.md" -s 256 -n 2
expect 0 '"kl"' -- "$bin" eval "$golden/mixtral_bf16" --compare "$golden/mixtral" --tokenizer "$tok" \
    --text "$src/README.md" -s 128 -n 3 --tasks "$src/tests/data/eval/tasks.jsonl" --json
expect 0 'top-16 approximation' -- "$bin" eval "$golden/qwen2_moe" --compare "$golden/qwen2_moe_bf16" \
    --tokenizer "$tok" --text "$src/README.md" -s 64 -n 2 --top-k 16
seq 0 255 | tr '\n' ' ' >"$tmp/ids.txt"
expect 0 '"windows": 4' -- "$bin" eval "$golden/deepseek_v2_lite" --ids "$tmp/ids.txt" -s 64 --json
# Residency: the same perplexity streamed and resident; the report says which.
expect 0 'weights    model: resident' -- "$bin" eval "$golden/olmoe" --ids "$tmp/ids.txt" -s 64
streamed=$("$bin" --residency stream eval "$golden/olmoe" --ids "$tmp/ids.txt" -s 64 --json)
resident=$("$bin" --residency resident eval "$golden/olmoe" --ids "$tmp/ids.txt" -s 64 --json)
ppl() { python3 -c 'import json,sys; print(json.load(sys.stdin)["models"][0]["perplexity"]["perplexity"])'; }
check "streamed and resident give the same perplexity" [ "$(ppl <<<"$streamed")" = "$(ppl <<<"$resident")" ]
check "the JSON says streamed" grep -q '"weights": "streamed one layer per pass' <<<"$streamed"
expect 105 'residency: streaming not in' -- "$bin" --residency streaming eval "$golden/olmoe" --ids "$tmp/ids.txt"
expect 1 'no tokenizer.json in the model folder' -- "$bin" eval "$golden/mixtral" --text "$src/README.md"
expect 1 'outside the model' -- "$bin" eval "$golden/mixtral" \
    --tokenizer "$src/tests/reference/tokenizers/qwen2/tokenizer.json" --text "$src/README.md"
expect 1 'tokens, but 9 blocks of 64 tokens need 576' -- "$bin" eval "$golden/olmoe" --ids "$tmp/ids.txt" -s 64 -n 9
printf 'ok\xfe\n' >"$tmp/bad.txt"
expect 1 'not valid UTF-8' -- "$bin" eval "$golden/olmoe" --tokenizer "$tok" --text "$tmp/bad.txt"
expect 1 'nothing to evaluate' -- "$bin" eval "$golden/olmoe"
# NaN weights: an error naming the model and its side, not "perplexity nan -> nan, top-1 agreement 100%".
cp -r "$golden/mixtral" "$tmp/mixtral_nan"
python3 - "$tmp/mixtral_nan/model.safetensors" <<'PY'
import json, struct, sys
with open(sys.argv[1], 'r+b') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    begin, end = json.loads(f.read(n))['model.norm.weight']['data_offsets']
    f.seek(8 + n + begin)
    f.write(struct.pack('<f', float('nan')) * ((end - begin) // 4))
PY
expect 1 'mixtral_nan (model): the next-token loss is nan' -- "$bin" eval "$tmp/mixtral_nan" --ids "$tmp/ids.txt" -s 64
expect 1 'mixtral_nan (reference): the next-token loss is nan' -- "$bin" eval "$golden/mixtral" \
    --compare "$tmp/mixtral_nan" --ids "$tmp/ids.txt" -s 64

# Ctrl-C: a long run is interrupted and exits 130 with "cancelled".
for i in $(seq 400); do seq 0 255; done | tr '\n' ' ' >"$tmp/long.txt"
expect_interrupt 'perplexity mixtral: ' -- "$bin" eval "$golden/mixtral" --ids "$tmp/long.txt" \
    -s 512 --batch-tokens 512

finish
