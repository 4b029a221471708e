#!/usr/bin/env bash
# moe-compress export end to end: a session with a searched plan on the golden Qwen1.5-MoE model,
# the deployability report (--dry-run), an export verified by reloading, a refused non-empty target,
# --force, a target inside the source, an unknown plan, and a write failing as on a full disk
# (ulimit -f with SIGXFSZ ignored): nothing may be left behind.
#   test_export_cli.sh MOE_COMPRESS SOURCE_DIR
set -u
bin=$1
src=$2
golden=$src/tests/reference/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

expect() { # expect CODE PATTERN -- command...
    local code=$1 pattern=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [[ $rc -ne $code ]] || ! grep -q -- "$pattern" "$tmp/out" "$tmp/err"; then
        echo "FAIL (exit $rc, wanted $code and '$pattern'): $*"
        sed 's/^/  | /' "$tmp/out" "$tmp/err" | tail -20
        failures=$((failures + 1))
    else
        echo "ok: $*"
    fi
}
check() { # check DESCRIPTION -- test...
    local what=$1
    shift 2
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}

for i in $(seq 8); do seq 3 255; done | tr '\n' ' ' >"$tmp/calib.ids"
expect 0 'plan .moe-i2-search.' -- "$bin" -t 1 search "$golden/qwen2_moe" --session "$tmp/s.h5" \
    --calib "$tmp/calib.ids" -n 8 -s 64 --ratio 0.25 --no-blocks
expect 0 'loads in:' -- "$bin" -t 1 export "$tmp/s.h5" "$tmp/out" --dry-run
check "--dry-run writes nothing" -- test ! -e "$tmp/out"
expect 0 'reload check on calibration blocks' -- "$bin" -t 1 export "$tmp/s.h5" "$tmp/out"
check "the folder holds weights, config, card and provenance" -- \
    test -f "$tmp/out/model.safetensors" -a -f "$tmp/out/config.json" -a -f "$tmp/out/README.md" \
    -a -f "$tmp/out/moewb_export.json"
expect 0 '"experts"' -- "$bin" inspect "$tmp/out" --json
expect 1 'exists and is not empty; choose a new folder or pass --force' -- "$bin" export "$tmp/s.h5" "$tmp/out"
expect 0 '"passed": true' -- "$bin" -t 1 export "$tmp/s.h5" "$tmp/out" --force --json --format extended \
    --dtype fp32 --shard-size 200KB
check "--force replaced the folder with a sharded extended export" -- \
    test -f "$tmp/out/model.safetensors.index.json" -a -f "$tmp/out/modeling_moewb_qwen2_moe.py"
expect 1 'inside the source model' -- "$bin" export "$tmp/s.h5" "$golden/qwen2_moe/exported"
expect 1 "no plan named 'nope'" -- "$bin" export "$tmp/s.h5" "$tmp/x" --plan nope
expect 1 'write failed' -- bash -c "trap '' XFSZ; ulimit -f 256; exec \"$bin\" -t 1 export \"$tmp/s.h5\" \"$tmp/full\""
check "a failed write leaves nothing behind" -- test -z "$(ls -A "$tmp" | grep -e full -e '\.tmp-')"

[[ $failures -eq 0 ]] || { echo "$failures failure(s)"; exit 1; }
