#!/usr/bin/env bash
# A session belongs to the model it was made from: every command that computes into a session or uses
# its plans (analyze, search, run, decompose, apply, eval --plan, export, finetune) refuses another
# model, naming the session and both models, and leaves the file byte for byte as it was. (They used to
# drop every plan as "stale" and rewrite the file, or apply one model's plan to another.)
#   test_session_model_cli.sh MOE_COMPRESS SOURCE_DIR
source "$(dirname "$0")/lib.sh" # bin, src, demo, golden, tok, tmp, failures; expect, check, finish
qwen=$demo/models/qwen
mixtral=$demo/models/mixtral
export OMP_WAIT_POLICY=PASSIVE

s=$tmp/q.h5
small=(--calib "$demo/calib.txt" -n 4 -s 32)
expect 0 "plan 'p'" -- "$bin" -t 1 run "$qwen" --method expert-drop --session "$s" "${small[@]}" --plan-name p --no-eval
sum=$(sha256sum <"$s")
refused="$mixtral: not the checkpoint $s was made from, which is $qwen"
unchanged() { check "$1: $s unchanged" [ "$(sha256sum <"$s")" = "$sum" ]; }

expect 1 "$refused" -- "$bin" -t 1 analyze "$mixtral" --session "$s" "${small[@]}"
unchanged analyze
expect 1 "$refused" -- "$bin" -t 1 search "$mixtral" --session "$s" "${small[@]}" --population 4 --generations 2
unchanged search
expect 1 "$refused" -- "$bin" -t 1 run "$mixtral" --method layer-drop --session "$s" "${small[@]}" --no-eval
unchanged "run --method layer-drop"
expect 1 "$refused" -- "$bin" -t 1 decompose "$mixtral" --session "$s" --plan p "${small[@]}"
unchanged decompose
expect 1 "$refused" -- "$bin" -t 1 apply "$mixtral" --session "$s" --plan p -n 1 -s 8 --repeats 1
expect 1 "$refused" -- "$bin" -t 1 eval "$mixtral" --session "$s" --plan p --text "$demo/eval.txt" -n 1 -s 32 --no-save
expect 1 "$refused" -- "$bin" -t 1 eval "$mixtral" --session "$s" --plan p --text "$demo/eval.txt" -n 1 -s 32
unchanged eval
expect 1 'use another session file' -- "$bin" -t 1 analyze "$mixtral" --session "$s" "${small[@]}"

# The same model with other calibration data is not refused: the data-derived sections are recomputed
# and the plan stays.
expect 0 'stale section(s) computed from other calibration data' -- "$bin" -t 1 analyze "$qwen" --session "$s" \
    --calib "$demo/eval.txt" -n 4 -s 32
expect 0 "plan 'p'" -- "$bin" -t 1 apply "$qwen" --session "$s" --plan p -n 1 -s 8 --repeats 1

# Ctrl-C stops apply's timed passes (it ran all of them: minutes). The bar shows once it is timing.
expect_interrupt 'timing original' -- "$bin" -t 1 apply "$qwen" --session "$s" --plan p -n 4 -s 64 --repeats 100000
check "apply stopped within 30 s of the signal (took $signal_wait s)" [ "$signal_wait" -le 30 ]

# A session that cannot be written is refused before the work, not after it (eval computed everything,
# then failed to store and printed nothing). Root-proof: a session name so long (240 bytes) that the
# temporary file a save writes beside it cannot be created; and a session "inside" a regular file.
long=$tmp/$(printf 'q%.0s' $(seq 237)).h5
cp "$s" "$long"
expect 1 'the session could not be saved there; nothing was computed' -- "$bin" -t 1 eval "$qwen" --session "$long" \
    --plan p --text "$demo/eval.txt" -n 2 -s 32
check "eval: refused before evaluating" test "$(cat "$tmp/out" "$tmp/err" | grep -c perplexity)" -eq 0
expect 0 'perplexity' -- "$bin" -t 1 eval "$qwen" --session "$long" --plan p --text "$demo/eval.txt" -n 2 -s 32 --no-save
unwritable=("$s/new.h5: cannot create temporary file .*Not a directory (the session could not be saved there"
    -- "$bin" -t 1)
expect 1 "${unwritable[@]}" analyze "$qwen" --session "$s/new.h5" "${small[@]}"
expect 1 "${unwritable[@]}" run "$qwen" --method expert-drop --no-eval --session "$s/new.h5" "${small[@]}"
expect 1 "${unwritable[@]}" search "$qwen" --population 4 --generations 2 --session "$s/new.h5" "${small[@]}"
expect 1 "$long: cannot create temporary file" -- "$bin" -t 1 finetune "$long" --plan p --train "$demo/calib.txt" --steps 1

# A save that fails after the work (the session changed on disk meanwhile) still prints the results.
cp "$s" "$tmp/e.h5"
: >"$tmp/err"
"$bin" -t 1 eval "$qwen" --session "$tmp/e.h5" --plan p --compare-original --text "$demo/eval.txt" -s 64 \
    >"$tmp/out" 2>"$tmp/err" &
pid=$! tries=0
until grep -q 'original qwen: ' "$tmp/err" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null && ((tries++ < 1200)) || break
    sleep 0.1
done
touch "$tmp/e.h5"
wait "$pid"
rc=$?
check "eval: the session changed on disk: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "eval: says the session changed" grep -q 'changed on disk' "$tmp/err"
check "eval: the results were printed before the failed save" grep -q 'KL' "$tmp/out"

finish
