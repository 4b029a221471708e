#!/usr/bin/env bash
# moe-compress search end to end on the golden models: a fresh session, a rerun from the session's
# calibration settings, the same plan for the same seed, errors, and Ctrl-C (exit 130).
#   test_search_cli.sh MOE_COMPRESS SOURCE_DIR
source "$(dirname "$0")/lib.sh" # bin, src, demo, golden, tok, tmp, failures; expect, check, finish
for i in $(seq 8); do seq 3 255; done | tr '\n' ' ' >"$tmp/calib.ids"
# qwen2_moe: MoE layers 0, 1, 3 around a dense layer 2, shared experts.
expect 0 'plan .moe-i2-search.: 9 experts removed from 3 layers' -- "$bin" -t 1 search "$golden/qwen2_moe" \
    --session "$tmp/s.h5" --calib "$tmp/calib.ids" -n 8 -s 64 --ratio 0.25
expect 0 '"kt_layer_passes": 52' -- "$bin" -t 1 search "$golden/qwen2_moe" --session "$tmp/s.h5" --json --recompute
plan() { tr -d '\n ' <"$tmp/out" | sed -n 's/.*"plan":\({.*}\),"reused".*/\1/p'; } # JSON keys are sorted
plan >"$tmp/plan1"
expect 0 '"reused": true' -- "$bin" -t 1 search "$golden/qwen2_moe" --session "$tmp/s.h5" --json
expect 0 '"selection": "kt"' -- "$bin" -t 2 search "$golden/qwen2_moe" --session "$tmp/s.h5" --json --recompute
plan >"$tmp/plan2"
if cmp -s "$tmp/plan1" "$tmp/plan2" && [[ -s "$tmp/plan1" ]]; then echo "ok: same seed, same plan (1 and 2 threads)"; else
    echo "FAIL: the plan changed between runs with the same seed"; failures=$((failures + 1)); fi
expect 0 '"selection": "genetic"' -- "$bin" -t 1 search "$golden/mixtral" --session "$tmp/m.h5" \
    --calib "$tmp/calib.ids" -n 4 -s 32 --no-blocks --json
expect 1 'holds no calibration settings; pass --calib FILE' -- "$bin" search "$golden/mixtral" --session "$tmp/new.h5"
# Plan names follow the rules of every plan name (core/plan/plan_name.h), refused before any work.
expect 105 '^--plan-name: a plan name cannot start or end with a space$' -- "$bin" search "$golden/mixtral" --session "$tmp/new.h5" --plan-name 'x '
expect 105 '^--plan-name: a plan name cannot hold tabs, line breaks or other control characters$' -- "$bin" decompose "$golden/qwen2_moe" --session "$tmp/s.h5" --plan-name $'a\tb'
expect 1 'no tokenizer.json in the model folder' -- "$bin" search "$golden/mixtral" --session "$tmp/new.h5" \
    --calib "$src/README.md"

# Ctrl-C: a long forced genetic search is interrupted and exits 130 with "cancelled".
expect_interrupt 'genetic search: ' -- "$bin" -t 1 search "$golden/qwen3_moe" \
    --session "$tmp/c.h5" --calib "$tmp/calib.ids" -n 8 -s 64 --force-genetic --generations 100000

finish
