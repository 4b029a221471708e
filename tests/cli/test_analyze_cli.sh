#!/usr/bin/env bash
# moe-compress analyze end to end on the golden models: fills a session, reuses it on a rerun,
# reallocates for a new ratio and overrides, recomputes for other data, refuses bad input, and Ctrl-C
# (exit 130) leaves a session that still opens.   test_analyze_cli.sh MOE_COMPRESS SOURCE_DIR
source "$(dirname "$0")/lib.sh" # bin, src, demo, golden, tok, tmp, failures; expect, check, finish
also() { # also PATTERN: the previous command's output matches too
    grep -q -- "$1" "$tmp/out" "$tmp/err" || { echo "FAIL: previous output lacks '$1'"; failures=$((failures + 1)); }
}

s=$tmp/S.h5
expect 0 'calibration pass' -- "$bin" analyze "$golden/mixtral" --calib "$src/README.md" --tokenizer "$tok" \
    --session "$s" -n 4 -s 64 --seed 3
also 'block inputs of 3 layer'
expect 0 'reused the cached' -- "$bin" analyze "$golden/mixtral" --calib "$src/README.md" --tokenizer "$tok" \
    --session "$s" -n 4 -s 64 --seed 3
expect 0 '"reused": true' -- "$bin" analyze "$golden/mixtral" --calib "$src/README.md" --tokenizer "$tok" \
    --session "$s" -n 4 -s 64 --seed 3 --ratio 0.5 --override 1=0 --json
python3 - "$tmp/out" <<'PY' || { echo "FAIL: --json allocation"; failures=$((failures + 1)); }
import json, sys
r = json.load(open(sys.argv[1]))
counts = [l["prune_count"] for l in r["layers"]]
assert r["requested"] == 12 and sum(counts) == 12, r  # round(0.5 * 3 * 8); each layer capped at 8 - 2
assert counts[1] == 0 and r["layers"][1]["overridden"], counts
assert all(len(l["expert_loss"]) == 8 and abs(sum(l["softmax_mass"]) - 1) < 1e-5 for l in r["layers"])
PY
expect 0 'dropped .* stale section' -- "$bin" analyze "$golden/mixtral" --calib "$src/README.md" --tokenizer "$tok" \
    --session "$s" -n 4 -s 64 --seed 4
seq 0 255 | tr '\n' ' ' >"$tmp/ids.txt"
for model in qwen2_moe deepseek_v2_group olmoe qwen3_moe deepseek_moe; do
    expect 0 'calibration pass' -- "$bin" analyze "$golden/$model" --ids "$tmp/ids.txt" -n 3 -s 64 \
        --session "$tmp/$model.h5"
done
expect 1 'not a MoE layer' -- "$bin" analyze "$golden/qwen2_moe" --ids "$tmp/ids.txt" -n 3 -s 64 \
    --session "$tmp/qwen2_moe.h5" --override 2=1
expect 1 'expected LAYER=COUNT' -- "$bin" analyze "$golden/mixtral" --ids "$tmp/ids.txt" -n 3 -s 64 \
    --session "$tmp/x.h5" --override 1:2
expect 1 'no calibration data' -- "$bin" analyze "$golden/mixtral" --session "$tmp/x.h5"
expect 1 'tokens, but 9 blocks of 64 tokens need 576' -- "$bin" analyze "$golden/olmoe" --ids "$tmp/ids.txt" \
    -n 9 -s 64 --session "$tmp/x.h5"

# Ctrl-C during the calibration pass: exit 130, and the session on disk still opens.
for i in $(seq 400); do seq 0 255; done | tr '\n' ' ' >"$tmp/long.txt"
expect_interrupt 'analyze mixtral: ' -- "$bin" analyze "$golden/mixtral" --ids "$tmp/long.txt" \
    -n 190 -s 512 --batch-tokens 512 --session "$tmp/cancel.h5"
expect 0 'calibration pass' -- "$bin" analyze "$golden/mixtral" --ids "$tmp/ids.txt" -n 2 -s 64 \
    --session "$tmp/cancel.h5"
# A kill (SIGTERM, SIGHUP) stops the same way: exit 128 + the signal, "cancelled", no temporary left
# (it used to die at once, leaving .S.h5.tmp-* when a save was under way).
expect_signal TERM 143 'analyze mixtral: ' -- "$bin" analyze "$golden/mixtral" --ids "$tmp/long.txt" \
    -n 190 -s 512 --batch-tokens 512 --session "$tmp/term.h5"
expect_signal HUP 129 'analyze mixtral: ' -- "$bin" analyze "$golden/mixtral" --ids "$tmp/long.txt" \
    -n 190 -s 512 --batch-tokens 512 --session "$tmp/hup.h5"
check "SIGTERM and SIGHUP leave no temporary file" test -z "$(ls -A "$tmp" | grep '\.tmp-')"
expect 0 'calibration pass' -- "$bin" analyze "$golden/mixtral" --ids "$tmp/ids.txt" -n 2 -s 64 \
    --session "$tmp/term.h5"

finish
