#!/usr/bin/env bash
# moe-compress run --method expert-drop|layer-drop|block-drop|wanda|sparsegpt end to end on golden
# models: every method makes, stores and applies a plan; a second drop_n reuses the cached similarity;
# slimming composes after an Expert Drop plan with --after; bad options are refused.
#   test_holistic_cli.sh MOE_COMPRESS SOURCE_DIR
source "$(dirname "$0")/lib.sh" # bin, src, demo, golden, tok, tmp, failures; expect, check, finish
for model in mixtral qwen2_moe deepseek_v2_lite; do
    s=$tmp/$model.h5
    common=("$golden/$model" --calib "$src/README.md" --tokenizer "$tok" --session "$s" -n 4 -s 32 --eval-blocks 2)
    expect 0 'expert-drop' -- "$bin" -t 1 run --method expert-drop "${common[@]}" --drop-ratio 0.25 --plan-name ed
    expect 0 'layer-drop' -- "$bin" -t 1 run --method layer-drop "${common[@]}" --drop-n 1 --json
    expect 0 '"scores_reused": *true' -- "$bin" -t 1 run --method block-drop "${common[@]}" --drop-n 2 \
        --block-mode consecutive --json
    expect 0 'wanda' -- "$bin" -t 1 run --method wanda "${common[@]}" --pattern 2:4
    expect 0 'sparsegpt' -- "$bin" -t 1 run --method sparsegpt "${common[@]}" --sparsity 0.3 --after ed --json
    grep -q '"after": *"ed"' "$tmp/out" || { echo "FAIL: --after not reported"; failures=$((failures + 1)); }
done
s=$tmp/bad.h5
common=("$golden/mixtral" --calib "$src/README.md" --tokenizer "$tok" --session "$s" -n 2 -s 32 --no-eval)
expect 1 'below top-k' -- "$bin" -t 1 run --method expert-drop "${common[@]}" --preserve-n 1
expect 1 'cannot keep 999 experts per layer: layer 0 has 8 routed experts' -- "$bin" -t 1 run --method expert-drop \
    "${common[@]}" --preserve-n 999
expect 1 "neither 'unstructured' nor 'N:M'" -- "$bin" -t 1 run --method wanda "${common[@]}" --pattern 4:2
expect 1 "no plan named 'nothing'" -- "$bin" -t 1 run --method wanda "${common[@]}" --after nothing
expect 1 'drop_n = 4 is outside' -- "$bin" -t 1 run --method layer-drop "${common[@]}" --drop-n 4

finish
