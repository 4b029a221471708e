#!/usr/bin/env bash
# moe-compress export end to end: a session with a searched plan on the golden Qwen1.5-MoE model,
# the deployability report (--dry-run), an export verified by reloading, a refused non-empty target,
# --force, a target inside the source, an unknown plan, and a write failing as on a full disk
# (ulimit -f with SIGXFSZ ignored): nothing may be left behind; a session made relative to another
# folder, and one whose model moved (--model, identity-checked).
#   test_export_cli.sh MOE_COMPRESS SOURCE_DIR
source "$(dirname "$0")/lib.sh" # bin, src, demo, golden, tok, tmp, failures; expect, check, finish
for i in $(seq 8); do seq 3 255; done | tr '\n' ' ' >"$tmp/calib.ids"
# The session is made with a relative model path from the source folder; every export below runs
# from ctest's folder, so the session must hold the model's absolute path.
expect 0 'plan .moe-i2-search.' -- bash -c 'cd "$1" && shift && exec "$@"' _ "$src" \
    "$bin" -t 1 search tests/reference/golden/qwen2_moe --session "$tmp/s.h5" \
    --calib "$tmp/calib.ids" -n 8 -s 64 --ratio 0.25 --no-blocks
check "the session names the model by its absolute path" \
    grep -qaF "$(cd "$src" && pwd -P)/tests/reference/golden/qwen2_moe" "$tmp/s.h5"
x=$tmp/exported
expect 0 'loads in:' -- "$bin" -t 1 export "$tmp/s.h5" "$x" --plan moe-i2-search --dry-run
check "--dry-run writes nothing" test ! -e "$x"
expect 0 'reload check on calibration blocks' -- "$bin" -t 1 export "$tmp/s.h5" "$x" --plan moe-i2-search
check "the folder holds weights, config, card and provenance" \
    test -f "$x/model.safetensors" -a -f "$x/config.json" -a -f "$x/README.md" -a -f "$x/moewb_export.json"
expect 0 'Qwen2MoeForCausalLM' -- "$bin" inspect "$x"
# Parameter totals in a unit that says something: the Qwen demo's 3,883,648 / 2,114,176 (not "0.00B").
expect 0 '3.88M *2.11M' -- "$bin" inspect "$src/resources/demo/models/qwen"
expect 1 'exists and is not empty; choose a new folder or pass --force' -- \
    "$bin" export "$tmp/s.h5" "$x" --plan moe-i2-search
expect 0 '"passed": true' -- "$bin" -t 1 export "$tmp/s.h5" "$x" --plan moe-i2-search --force --json \
    --format extended --dtype fp32 --shard-size 200KB
check "--force replaced the folder with a sharded extended export" \
    test -f "$x/model.safetensors.index.json" -a -f "$x/modeling_moewb_qwen2_moe.py" -a ! -f "$x/model.safetensors"
expect 1 'inside the source model' -- "$bin" export "$tmp/s.h5" "$golden/qwen2_moe/exported" --plan moe-i2-search
expect 1 "no plan named 'nope'" -- "$bin" export "$tmp/s.h5" "$tmp/x" --plan nope
expect 1 'write failed' -- bash -c "trap '' XFSZ; ulimit -f 256; exec \"$bin\" -t 1 export \"$tmp/s.h5\" \
    \"$tmp/full\" --plan moe-i2-search"
check "a failed write leaves nothing behind" test -z "$(ls -A "$tmp" | grep -e full -e '\.tmp-')"

# The model moved after the session was made: export says so and takes --model, which must be the
# same checkpoint (identity hash); finetune shares the check.
cp -r "$golden/qwen2_moe" "$tmp/m1"
expect 0 'plan .moe-i2-search.' -- "$bin" -t 1 search "$tmp/m1" --session "$tmp/moved.h5" \
    --calib "$tmp/calib.ids" -n 8 -s 64 --ratio 0.25 --no-blocks
mv "$tmp/m1" "$tmp/m2"
expect 1 "the model folder $tmp/m1 that $tmp/moved.h5 names is not there .*pass --model DIR" -- \
    "$bin" export "$tmp/moved.h5" "$tmp/x2" --plan moe-i2-search --dry-run
expect 0 'loads in:' -- "$bin" -t 1 export "$tmp/moved.h5" "$tmp/x2" --plan moe-i2-search --dry-run --model "$tmp/m2"
expect 1 "not the checkpoint $tmp/moved.h5 was made from" -- \
    "$bin" export "$tmp/moved.h5" "$tmp/x2" --plan moe-i2-search --dry-run --model "$golden/mixtral"
expect 1 "not the checkpoint $tmp/moved.h5 was made from" -- \
    "$bin" finetune "$tmp/moved.h5" --plan moe-i2-search --model "$golden/mixtral" --steps 1 \
    --train "$src/resources/demo/calib.txt"
check "nothing was written for the moved model" test ! -e "$tmp/x2"

finish
