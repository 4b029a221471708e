#!/usr/bin/env bash
# moe-compress's messages for bad input (the tester's "cosmetic" findings): every error names the file
# as given and the problem; notes and warnings go to stderr. Cheap: inspect/eval on copies of the
# golden OLMoE model, one search, decompose and export on Qwen1.5-MoE.
#   test_messages_cli.sh MOE_COMPRESS SOURCE_DIR
source "$(dirname "$0")/lib.sh" # bin, src, demo, golden, tok, tmp, failures; expect, check, finish

# edit_config FOLDER KEY VALUE: a copy of the golden OLMoE with one config field changed.
edit_config() {
    cp -r "$golden/olmoe" "$1"
    python3 - "$1/config.json" "$2" "$3" <<'PY'
import json, sys
path, key, value = sys.argv[1], sys.argv[2], sys.argv[3]
config = json.load(open(path))
config[key] = json.loads(value)
json.dump(config, open(path, "w"))
PY
}
seq 0 255 | tr '\n' ' ' >"$tmp/ids.txt"

# a. A shape mismatch names the weights file with its folder, as given.
edit_config "$tmp/wide" intermediate_size 48
expect 1 "$tmp/wide/model.safetensors: tensor 'model.layers.0.mlp.experts.0.gate_proj.weight' has shape" -- \
    "$bin" inspect "$tmp/wide"
# b, c. A path that does not exist says so.
expect 1 "$tmp/nonexist: no such file or folder" -- "$bin" inspect "$tmp/nonexist"
expect 1 "$tmp/nonexist: no such model folder" -- "$bin" train-report "$tmp/nonexist" --train "$tmp/ids.txt" \
    --valid "$tmp/ids.txt" --test "$tmp/ids.txt"
# d. An unknown device name is not "not available here".
expect 1 "unknown device 'gpu' (use cpu, cuda or cuda:N)" -- "$bin" search "$golden/olmoe" --session "$tmp/d.h5" \
    --calib "$tmp/ids.txt" --device gpu
# e. A repeated option is named plainly.
expect 114 '--residency: given 2 times; give it once' -- "$bin" --residency auto --residency stream inspect \
    "$golden/olmoe"
# f. A garbage tokenizer.json is quoted with its bytes escaped, never raw.
mkdir "$tmp/garbage" && printf '\xfe\xff{"' >"$tmp/garbage/tokenizer.json"
expect 1 'tokenizer.json: invalid JSON' -- "$bin" eval "$golden/olmoe" --tokenizer "$tmp/garbage/tokenizer.json" \
    --text "$src/README.md"
check "the error escapes the binary bytes" grep -qF "last read: '\\xfe'" "$tmp/err"
check "the error holds no raw binary byte" bash -c '! LC_ALL=C grep -q "[^[:print:][:space:]]" "$1"' _ "$tmp/err"
# g. A value the recipe gives that its option refuses names the recipe.
printf '{"ratio": "nan"}' >"$tmp/recipe.json"
expect 1 "--recipe $tmp/recipe.json: 'ratio': --ratio: 'nan' is not a number" -- "$bin" run --recipe \
    "$tmp/recipe.json" "$golden/olmoe" --method moe-i2 --calib "$tmp/ids.txt"
# i. config.json / tokenizer.json that are not regular files: refused at once, never read.
cp -r "$golden/olmoe" "$tmp/zero" && ln -sf /dev/zero "$tmp/zero/config.json"
expect 1 "$tmp/zero/config.json: not a regular file" -- timeout 60 "$bin" inspect "$tmp/zero"
mkdir "$tmp/random" && ln -s /dev/urandom "$tmp/random/tokenizer.json"
expect 1 "$tmp/random/tokenizer.json: not a regular file" -- timeout 60 "$bin" eval "$golden/olmoe" \
    --tokenizer "$tmp/random/tokenizer.json" --text "$src/README.md"
# j. A config with fewer layers than its checkpoint: the same one-line warning, once, from every command
#    that loads the model (eval opens it twice here: --compare the same folder).
edit_config "$tmp/short" num_hidden_layers 2
warning="$tmp/short/config.json: num_hidden_layers=2, but $tmp/short/model.safetensors holds 3 layers"
expect 0 "$warning" -- "$bin" inspect "$tmp/short"
expect 0 "$warning" -- "$bin" eval "$tmp/short" --compare "$tmp/short" --ids "$tmp/ids.txt" -s 64 --json
check "eval gives the warning once, on stderr" [ "$(grep -c "$warning" "$tmp/err")" = 1 ]
check "eval's JSON holds no warning" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out"

# h. Values that cannot be honoured as given say what was used instead (stderr, not in --json output).
for i in $(seq 8); do seq 3 255; done | tr '\n' ' ' >"$tmp/calib.ids"
expect 0 'plan .moe-i2-search.' -- "$bin" -t 1 search "$golden/qwen2_moe" --session "$tmp/s.h5" \
    --calib "$tmp/calib.ids" -n 8 -s 64 --ratio 0.25 --no-blocks
expect 0 'layer 1: the rank override (average rank 100000) keeps 9 of 9 experts dense' -- "$bin" -t 1 decompose \
    "$golden/qwen2_moe" --session "$tmp/s.h5" --layer-rank 1=100000 --plan-name ranked --json
check "decompose's JSON is clean" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out"
expect 0 'note: --verify-len 4096: the reload check uses 512 tokens per block' -- "$bin" -t 1 export "$tmp/s.h5" \
    "$tmp/exported" --plan moe-i2-search --verify-len 4096 --json
check "export's JSON is clean" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out"

finish
