#!/usr/bin/env bash
# moe-compress finetune end to end on the Qwen demo model: Expert Drop, LoRA recovery on JSONL
# instruction pairs with checkpoints, --resume of a finished run (no step, the same result), a
# checkpoint of other settings refused, the PEFT adapter export (--peft) beside the un-merged standard
# weights, --peft refused for adapters on routed experts, and --objective distill (the teacher: the
# session's source model; with --valid it keeps the step of the lowest held-out distillation
# objective and prints the held-out KL).
#   test_finetune_cli.sh MOE_COMPRESS SOURCE_DIR
source "$(dirname "$0")/lib.sh" # bin, src, demo, golden, tok, tmp, failures; expect, check, finish
export OMP_WAIT_POLICY=PASSIVE

expect 0 'ed' -- "$bin" -t 1 run "$demo/models/qwen" --method expert-drop --drop-ratio 0.25 --calib "$demo/calib.txt" \
    -n 4 -s 32 --session "$tmp/s.h5" --plan-name ed --no-eval
for i in 1 2 3 4 5 6; do
    echo "{\"prompt\": \"And God said, Let there be light $i:\", \"response\": \" and there was light.\"}"
    echo "{\"instruction\": \"Continue the verse.\", \"input\": \"In the beginning $i\", \"output\": \" God created the heaven.\"}"
done >"$tmp/pairs.jsonl"
ft=(finetune "$tmp/s.h5" --plan ed --train "$tmp/pairs.jsonl" --steps 4 --batch 2 -s 32 --targets attention,shared
    --checkpoint "$tmp/ft.ckpt" --checkpoint-every 2 --seed 3)
expect 0 '12 instruction pairs' -- "$bin" -t 1 "${ft[@]}"
check "the checkpoint was written" test -s "$tmp/ft.ckpt"
"$bin" -t 1 "${ft[@]}" --json >"$tmp/first.json" 2>/dev/null
expect 0 '"resumed_from_step": 4' -- "$bin" -t 1 "${ft[@]}" --resume --json
check "a finished run resumes to the same losses" \
    test "$(grep -A6 '"losses"' "$tmp/first.json")" = "$(grep -A6 '"losses"' "$tmp/out")"
expect 1 'other settings' -- "$bin" -t 1 "${ft[@]}" --resume --lr 0.5
# Bytes damaged in the middle of a tensor: the checksum refuses the checkpoint, naming it (torch's
# archives check no CRC: it resumed silently).
python3 - "$tmp/ft.ckpt" <<'PY'
import sys, zipfile
path = sys.argv[1]
with zipfile.ZipFile(path) as z:  # the largest tensor's stored bytes
    info = max((i for i in z.infolist() if '/data/' in i.filename), key=lambda i: i.file_size)
with open(path, 'r+b') as f:
    f.seek(info.header_offset + 26)
    name_len, extra_len = int.from_bytes(f.read(2), 'little'), int.from_bytes(f.read(2), 'little')
    f.seek(info.header_offset + 30 + name_len + extra_len + info.file_size // 2)
    data = f.read(8)
    f.seek(-8, 1)
    f.write(bytes(b ^ 0xff for b in data))
PY
expect 1 "ft.ckpt: the checkpoint is damaged" -- "$bin" -t 1 "${ft[@]}" --resume
x=$tmp/peft
expect 0 'PEFT adapter: ' -- "$bin" -t 1 export "$tmp/s.h5" "$x" --plan ed-lora --peft
check "adapter files beside the standard weights" \
    test -f "$x/adapter_config.json" -a -f "$x/adapter_model.safetensors" -a -f "$x/model.safetensors"
check "target_modules are full module paths" grep -q '"model.layers.0.self_attn.q_proj"' "$x/adapter_config.json"
expect 0 'instruction' -- "$bin" -t 1 finetune "$tmp/s.h5" --plan ed --plan-name ed-all --train "$tmp/pairs.jsonl" \
    --steps 1 --batch 1 -s 32
check "a finished run without checkpoint options leaves no checkpoint" test ! -e "$tmp/s.h5.ed-lora.ckpt"
# Ctrl-C without --checkpoint still writes one beside the session (the progress was lost) and says how
# to resume; --resume continues from it.
stop=(finetune "$tmp/s.h5" --plan ed --plan-name ed-stop --train "$tmp/pairs.jsonl" --steps 200 --batch 1 -s 32
    --targets attention)
expect_interrupt 'fine-tune: ' -- "$bin" -t 1 "${stop[@]}"
check "the stopped run left its checkpoint" test -s "$tmp/s.h5.ed-lora.ckpt"
check "and said how to resume" grep -q "checkpoint in $tmp/s.h5.ed-lora.ckpt; continue with the same options and --resume" \
    "$tmp/err"
expect 0 'resumed after step' -- "$bin" -t 1 "${stop[@]}" --resume
expect 1 'routed experts' -- "$bin" -t 1 export "$tmp/s.h5" "$tmp/refused" --plan ed-all --peft
check "a refused --peft writes nothing" test ! -e "$tmp/refused"
expect 1 '--peft needs --format standard' -- "$bin" -t 1 export "$tmp/s.h5" "$tmp/ext" --plan ed-lora --peft \
    --format extended
# Out-of-range numbers are named in words (CLI11's own check printed a 309-digit upper bound).
expect 105 '^--lr: must be above 0 (got 0)$' -- "$bin" -t 1 finetune "$tmp/s.h5" --plan ed --train "$tmp/pairs.jsonl" --lr 0
expect 105 '^--steps: must be 0 or more (got -1)$' -- "$bin" -t 1 finetune "$tmp/s.h5" --plan ed --train "$tmp/pairs.jsonl" --steps -1
# The recovered plan's name and the modules follow core/train/lora_run.h's rules (the GUI's too).
expect 1 "plan 'ed' is not a LoRA recovery" -- "$bin" -t 1 finetune "$tmp/s.h5" --plan ed-lora --plan-name ed \
    --train "$tmp/pairs.jsonl" --steps 1
expect 1 '--targets: no module chosen' -- "$bin" -t 1 finetune "$tmp/s.h5" --plan ed --train "$tmp/pairs.jsonl" \
    --steps 1 --targets ''
expect 1 'not available here' -- "$bin" -t 1 finetune "$tmp/s.h5" --plan ed --train "$tmp/pairs.jsonl" --steps 1 \
    --device cuda:7
expect 0 "distillation from the original model" -- "$bin" -t 1 finetune "$tmp/s.h5" --plan ed --plan-name ed-kd \
    --train "$tmp/pairs.jsonl" --steps 2 --batch 2 -s 32 --targets attention --objective distill --temperature 2
expect 0 '"objective": "distill"' -- "$bin" -t 1 finetune "$tmp/s.h5" --plan ed --plan-name ed-kd2 \
    --train "$tmp/pairs.jsonl" --steps 1 --batch 2 -s 32 --targets attention --objective distill --distill-weight 0.5 --json
# With held-out text, distillation keeps the step of the lowest held-out distillation objective and
# reports the held-out KL beside the perplexity at each evaluation (steps 0, 1, 2).
kdv=(finetune "$tmp/s.h5" --plan ed --plan-name ed-kdv --train "$tmp/pairs.jsonl" --valid "$demo/eval.txt" --steps 2
    --batch 2 -s 32 --targets attention --objective distill --eval-every 1 --eval-blocks 2)
expect 0 'the kept step has the lowest held-out distillation objective' -- "$bin" -t 1 "${kdv[@]}"
check "the held-out KL at each of the 3 evaluations" test "$(grep -c 'held-out perplexity at step .*, KL ' "$tmp/out")" -eq 3
expect 0 '"selected_by": "distillation objective"' -- "$bin" -t 1 "${kdv[@]}" --json
check "the held-out KL in the JSON" test "$(grep -c '"kl": ' "$tmp/out")" -eq 3

finish
