# Shared by the CLI end-to-end tests (sourced after $tmp and failures=0 are set).
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
