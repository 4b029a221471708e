#!/usr/bin/env bash
# moe-compress run --method moe-i2 and the separate MoE-I² stages (decompose, apply, eval --plan) on
# the Qwen-style demo model with small settings: the pipeline runs end to end, the compressed model is
# smaller and evaluated against the original, a rerun reuses every stage from the session, a recipe
# gives the same parameters, the stages agree with each other, and bad input is refused clearly.
#   test_run_cli.sh MOE_COMPRESS SOURCE_DIR
source "$(dirname "$0")/lib.sh" # bin, src, demo, golden, tok, tmp, failures; expect, check, finish
model=$demo/models/qwen
export OMP_WAIT_POLICY=PASSIVE
head -n 24 "$demo/tasks.jsonl" >"$tmp/tasks.jsonl"
small=(-n 8 -s 64 --population 16 --generations 4 --K 2 --T 2 --eval-text "$demo/eval.txt" --eval-blocks 8)
json() { python3 -c "import json,sys; d=json.load(open('$tmp/out')); print($1)"; }

expect 0 '"method": "moe-i2"' -- "$bin" -t 1 run --method moe-i2 "$model" --calib "$demo/calib.txt" \
    --session "$tmp/s.h5" "${small[@]}" --ratio 0.25 --decomp-rate 0.3 --tasks "$tmp/tasks.jsonl" --sequences-per-pass 3 --json
check "--sequences-per-pass reaches the run" [ "$(json "d['details']['sequences_per_pass']")" = 3 ]
check "compressed model is smaller" [ "$(json "d['parameters']['compressed'] < d['parameters']['original']")" = True ]
check "perplexity and KL measured" [ "$(json "d['evaluation']['perplexity'] > 1 and d['evaluation']['kl'] > 0")" = True ]
check "task accuracy measured" [ "$(json "0 <= d['evaluation']['tasks']['acc'] <= 1")" = True ]
check "search and decompose computed" [ "$(json "d['details']['search_reused'] or d['details']['decompose_reused']")" = False ]
cp "$tmp/out" "$tmp/first.json"

# The rerun reopens the session and recomputes nothing.
expect 0 '"reused": true' -- "$bin" -t 1 run --method moe-i2 "$model" --calib "$demo/calib.txt" \
    --session "$tmp/s.h5" "${small[@]}" --ratio 0.25 --decomp-rate 0.3 --tasks "$tmp/tasks.jsonl" --json
check "rerun: every stage reused" [ "$(json "d['details']['search_reused'] and d['details']['decompose_reused'] and d['evaluation']['reused'] and d['timings'] == {}")" = True ]
check "rerun: same result" [ "$(json "d['evaluation']['perplexity']")" = "$(python3 -c "import json; print(json.load(open('$tmp/first.json'))['evaluation']['perplexity'])")" ]

# A recipe with the same parameters (and the text summary).
cat >"$tmp/recipe.json" <<JSON
{"method": "moe-i2", "model": "$model", "calib": "$demo/calib.txt", "samples": 8, "seq-len": 64,
 "population": 16, "generations": 4, "K": 2, "T": 2, "ratio": 0.25, "decomp-rate": 0.3,
 "eval-text": "$demo/eval.txt", "eval-blocks": 8, "tasks": "$tmp/tasks.jsonl"}
JSON
expect 0 'perplexity .* (KL' -- "$bin" -t 1 run --recipe "$tmp/recipe.json" --session "$tmp/s.h5"
also() { grep -q -- "$1" "$tmp/out" "$tmp/err" || { echo "FAIL: previous output lacks '$1'"; failures=$((failures + 1)); }; }
also 'from the session'

# The stages one by one: apply checks the accounting, eval --plan stores an evaluation.
expect 0 '"accounting_matches": true' -- "$bin" -t 1 apply "$model" --session "$tmp/s.h5" --plan moe-i2 -n 2 -s 32 --json
expect 0 'compressed' -- "$bin" -t 1 eval "$model" --session "$tmp/s.h5" --plan moe-i2 --compare-original \
    --text "$demo/eval.txt" -s 64 -n 4
expect 0 'rank min/mean/max' -- "$bin" -t 1 decompose "$model" --session "$tmp/s.h5" --plan moe-i2-pruning \
    --svd plain --rate 0.5 --plan-name plain50
expect 0 'reused from the session' -- "$bin" -t 1 decompose "$model" --session "$tmp/s.h5" --plan moe-i2-pruning \
    --svd plain --rate 0.5 --plan-name plain50
expect 0 '"svd": "plain"' -- "$bin" -t 1 decompose "$model" --session "$tmp/s.h5" --no-pruning --svd plain --rate 0.2 \
    --expert-rank 1:3=0 --plan-name lowrank --json
check "an expert rank override of 0 keeps that expert dense" \
    [ "$(json "[e['rank'] for l in d['ranks'] if l['layer'] == 1 for e in l['experts'] if e['expert'] == 3]")" = "[0]" ]

# Bad input.
expect 1 'unknown method .nope.' -- "$bin" run --method nope "$model" --calib "$demo/calib.txt" --session "$tmp/x.h5"
echo '{"ratio": 0.25, "colour": 3}' >"$tmp/bad.json"
expect 1 "unknown option 'colour'" -- "$bin" run --recipe "$tmp/bad.json" "$model" --calib "$demo/calib.txt"
expect 1 "no plan named 'missing'" -- "$bin" apply "$model" --session "$tmp/s.h5" --plan missing
expect 1 'even rank 1 for every expert' -- "$bin" -t 1 decompose "$model" --session "$tmp/s.h5" --no-pruning --rate 0.98 \
    --plan-name toomuch
expect 1 'give the calibration text' -- "$bin" run --method moe-i2 "$model" --session "$tmp/new.h5"

finish
