#!/bin/sh
# Builds the demo corpus from the King James Bible of Debian's bible-kjv-text package (public domain,
# see SOURCES.md): train.txt, validation.txt and test.txt in OUT_DIR.
#   resources/demo/make-corpus.sh OUT_DIR
# Format: one verse a line (verse numbers dropped, wrapped lines joined with one space), chapters
# separated by one blank line, no chapter headers. Chapters are numbered 0..1188 in canonical order
# (Genesis 1 = 0, Revelation 22 = 1188); chapter % 20 == 0 -> test, == 1 -> validation, else train.
# Deterministic: the same package version gives the same bytes (sha256 printed at the end).
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
out=$1
if ! command -v bible >/dev/null 2>&1; then
    echo "make-corpus.sh: installing bible-kjv (needs root)" >&2
    apt-get install -y bible-kjv >&2
fi
mkdir -p "$out"
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
LC_ALL=C bible Gen1:1-Rev22:21 >"$raw"

# The dump: a blank line, "Book N", a blank line, then verses "  V text" with continuation lines
# that start in column 0. A header is the non-indented line right after a blank line.
LC_ALL=C awk -v out="$out" '
function flush() {
    if (verse != "") { print verse > file; verse = "" }
}
/^$/ { flush(); blank = 1; next }
blank && /^[^ ]/ {
    # chapter header: choose the file of chapter n, separate chapters within it by a blank line
    file = out "/" (n % 20 == 0 ? "test" : n % 20 == 1 ? "validation" : "train") ".txt"
    if (seen[file]++) print "" > file
    n++; blank = 0; next
}
/^ +[0-9]+ / { flush(); sub(/^ +[0-9]+ /, ""); verse = $0; blank = 0; next }
{ if (verse == "") { print "make-corpus.sh: text outside a verse at line " NR > "/dev/stderr"; exit 1 }
  verse = verse " " $0; blank = 0 }
END {
    flush()
    if (n != 1189) { print "make-corpus.sh: expected 1189 chapters, found " n > "/dev/stderr"; exit 1 }
}' "$raw"

# Trailing spaces of wrapped lines would leave double spaces: squeeze them out.
for f in train validation test; do
    LC_ALL=C sed -e 's/  */ /g' -e 's/ $//' "$out/$f.txt" >"$out/$f.txt.tmp"
    mv "$out/$f.txt.tmp" "$out/$f.txt"
done
cd "$out" && wc -c train.txt validation.txt test.txt && sha256sum train.txt validation.txt test.txt
