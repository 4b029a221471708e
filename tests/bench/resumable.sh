# Sourced by the quality benchmark scripts: resumable steps. `step FILE CMD...` runs CMD into FILE
# unless FILE already has content (written under FILE.tmp, renamed when complete; stderr in FILE.log),
# so an interrupted benchmark restarts where it stopped.
step() {
    local f=$1
    shift
    if [ ! -s "$f" ]; then
        echo "$(date -u +%H:%M:%S) $f" >&2
        "$@" >"$f.tmp" 2>"$f.log"
        mv "$f.tmp" "$f"
    fi
}
