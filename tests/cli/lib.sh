# Shared by the CLI end-to-end tests, sourced first: `source "$(dirname "$0")/lib.sh"` in a script run as
# `test_X_cli.sh MOE_COMPRESS SOURCE_DIR`. Sets $bin, $src, $demo, $golden, $tok (the 256-byte tokenizer),
# a scratch folder $tmp removed at exit and the failure count; the script ends with `finish`.
set -u
bin=$1
src=$2
demo=$src/resources/demo
golden=$src/tests/reference/golden
tok=$src/tests/data/tokenizers/bytes256/tokenizer.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# finish: the script's exit status (1 when any check failed).
finish() {
    if [[ $failures -ne 0 ]]; then
        echo "$failures failure(s)"
        exit 1
    fi
    echo "all passed"
}

# expect CODE PATTERN -- command...: runs the command, checks its exit code and that PATTERN (grep)
# appears in its stdout or stderr; prints ok/FAIL and counts failures. Output stays in $tmp/out, $tmp/err.
expect() {
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

# check DESCRIPTION CONDITION...: a plain assertion.
check() {
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}

# expect_interrupt READY -- command...: Ctrl-C in the middle of long work. Starts the command, sends it
# SIGINT once READY (grep pattern) shows in its output, i.e. once it is inside the work (a fixed delay
# raced the program's start-up on a loaded machine: the signal came before the handler and the run
# died without saying "cancelled"), then expects exit 130 and "cancelled". Gives up waiting after 120 s.
expect_interrupt() {
    expect_signal INT 130 "$@"
}

# expect_signal SIGNAL CODE READY -- command...: the same with another signal (TERM: 143, HUP: 129).
# Leaves in $signal_wait the seconds from the signal to the command's exit.
expect_signal() {
    local signal=$1 code=$2 ready=$3
    shift 4
    # Emptied first: the background command truncates them only once it starts, and READY still in
    # the previous command's output sent the signal too early (to a shell that ignores SIGINT).
    : >"$tmp/out"
    : >"$tmp/err"
    "$@" >"$tmp/out" 2>"$tmp/err" &
    local pid=$! tries=0
    until grep -q -- "$ready" "$tmp/out" "$tmp/err" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null && ((tries++ < 1200)) || break
        sleep 0.1
    done
    kill -"$signal" "$pid" 2>/dev/null
    local killed=$SECONDS
    wait "$pid"
    local rc=$?
    signal_wait=$((SECONDS - killed))
    if [[ $rc -ne $code ]] || ! grep -q -- 'cancelled' "$tmp/out" "$tmp/err"; then
        echo "FAIL (exit $rc, wanted $code and 'cancelled' after SIG$signal at '$ready'): $*"
        sed 's/^/  | /' "$tmp/out" "$tmp/err" | tail -20
        failures=$((failures + 1))
    else
        echo "ok (SIG$signal after '$ready'): $*"
    fi
}
