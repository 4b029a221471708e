#!/usr/bin/env bash
# moe-compress run --method condense (CD-MoE) on the Qwen-style demo model with small settings: the
# plan condenses the requested number of layers to k_c experts, is stored, applied and evaluated
# against the original, applies again from the session, and impossible requests are refused clearly.
#   test_condense_cli.sh MOE_COMPRESS SOURCE_DIR
source "$(dirname "$0")/lib.sh" # bin, src, demo, golden, tok, tmp, failures; expect, check, finish
model=$demo/models/qwen
export OMP_WAIT_POLICY=PASSIVE
small=(-n 8 -s 64 --eval-text "$demo/eval.txt" --eval-blocks 8)
json() { python3 -c "import json,sys; d=json.load(open('$tmp/out')); print($1)"; }

expect 0 '"method": "condense"' -- "$bin" -t 1 run --method condense "$model" --calib "$demo/calib.txt" \
    --session "$tmp/s.h5" "${small[@]}" --layers 2 --experts 2 --json
check "compressed model is smaller" [ "$(json "d['parameters']['compressed'] < d['parameters']['original']")" = True ]
check "perplexity and KL measured" [ "$(json "d['evaluation']['perplexity'] > 1 and d['evaluation']['kl'] > 0")" = True ]
check "two layers condensed to two experts" \
    [ "$(json "[len(l['experts']) for l in d['details']['condensed_layers']]")" = "[2, 2]" ]
expect 0 '"accounting_matches": true' -- "$bin" -t 1 apply "$model" --session "$tmp/s.h5" --plan cd-moe -n 2 -s 32 --json

# Next-token KL as the selection metric, shared experts only.
expect 0 '"metric": "kl"' -- "$bin" -t 1 run --method condense "$model" --calib "$demo/calib.txt" \
    --session "$tmp/s.h5" "${small[@]}" --layers 1 --experts 0 --metric kl --plan-name kl0 --no-eval --json

# Fine-tuning the condensed layer to a parameter target: the plan gains dense deltas, the plan before
# fine-tuning is stored too, both apply, and the target is met.
expect 0 '"plan_before_finetune": "ft-no-finetune"' -- "$bin" -t 1 run --method condense "$model" \
    --calib "$demo/calib.txt" --session "$tmp/s.h5" -n 4 -s 32 --target-params 3700000 --experts 1 --plan-name ft \
    --finetune-steps 3 --finetune-batch 2 --finetune-lr 1e-3 --train "$demo/eval.txt" --no-eval --json
check "target met" [ "$(json "d['parameters']['compressed'] <= 3700000")" = True ]
check "three losses reported" [ "$(json "len(d['details']['finetune']['losses'])")" = 3 ]
expect 0 '"accounting_matches": true' -- "$bin" -t 1 apply "$model" --session "$tmp/s.h5" --plan ft -n 2 -s 32 --json
expect 0 '"accounting_matches": true' -- "$bin" -t 1 apply "$model" --session "$tmp/s.h5" --plan ft-no-finetune -n 2 -s 32 --json
# Another method's run in the same session (same model and data) keeps the condense plans.
expect 0 '"method": "layer-drop"' -- "$bin" -t 1 run --method layer-drop "$model" --calib "$demo/calib.txt" \
    --session "$tmp/s.h5" -n 4 -s 32 --drop-n 1 --no-eval --json
expect 0 '"accounting_matches": true' -- "$bin" -t 1 apply "$model" --session "$tmp/s.h5" --plan ft -n 2 -s 32 --json
expect 1 'needs --train' -- "$bin" -t 1 run --method condense "$model" --calib "$demo/calib.txt" \
    --session "$tmp/x.h5" -n 2 -s 32 --finetune-steps 2 --no-eval
expect 1 'above the target' -- "$bin" -t 1 run --method condense "$model" --calib "$demo/calib.txt" \
    --session "$tmp/x.h5" -n 2 -s 32 --target-params 1000 --no-eval

# Impossible requests.
expect 1 'cannot start or end with a space' -- "$bin" -t 1 run --method condense "$model" --calib "$demo/calib.txt" \
    --session "$tmp/x.h5" -n 2 -s 32 --plan-name ' cd' --no-eval
expect 1 'cannot keep 99' -- "$bin" -t 1 run --method condense "$model" --calib "$demo/calib.txt" \
    --session "$tmp/x.h5" -n 2 -s 32 --experts 99 --no-eval
expect 1 'cannot condense 40 layers' -- "$bin" -t 1 run --method condense "$model" --calib "$demo/calib.txt" \
    --session "$tmp/x.h5" -n 2 -s 32 --layers 40 --no-eval

finish
