#!/bin/sh
# Builds the committed demo data from the corpus of make-corpus.sh:
#   resources/demo/make-demo-data.sh CORPUS_DIR [OUT_DIR (default: this folder)] [SEED (default 1)]
# - calib.txt:   train-split chapters whose ordinal among the train chapters is a multiple of 30
#                (36 chapters spread over the whole Bible).
# - eval.txt:    test-split chapters with an even ordinal among the test chapters (30 chapters).
# - tasks.jsonl: 300 multiple-choice questions from the test chapters with an odd ordinal (disjoint
#   from eval.txt and, like it, never trained on). A verse of n >= 10 words is cut before its last
#   min(12, n/2) words: context = the words before, true choice = the words after. Three distractors
#   are continuations of other such verses, drawn among the 20 nearest in length (characters), none
#   equal to the true one or each other; the gold position is drawn too. Random draws use the
#   Park-Miller generator (x = 16807 x mod 2^31-1, exact in any awk) seeded with SEED, so every
#   POSIX awk gives the same bytes.
set -eu
if [ $# -lt 1 ] || [ $# -gt 3 ]; then
    echo "usage: $0 CORPUS_DIR [OUT_DIR] [SEED]" >&2
    exit 2
fi
corpus=$1
out=${2:-$(cd "$(dirname "$0")" && pwd)}
seed=${3:-1}
for f in train test; do
    [ -s "$corpus/$f.txt" ] || { echo "make-demo-data.sh: $corpus/$f.txt missing (run make-corpus.sh)" >&2; exit 1; }
done
mkdir -p "$out"

# Chapters are separated by one blank line; the ordinal counts them from 0.
pick_chapters() { # FILE MODULUS: chapters whose ordinal % MODULUS == 0, separated by blank lines
    LC_ALL=C awk -v mod="$2" '
        /^$/ { k++; next }
        k % mod == 0 { if (printed && k != last) print ""; print; printed = 1; last = k }' "$1"
}
pick_chapters "$corpus/train.txt" 30 >"$out/calib.txt"
pick_chapters "$corpus/test.txt" 2 >"$out/eval.txt"

LC_ALL=C awk -v seed="$seed" -v want=300 '
function rnd(n) { state = (state * 16807) % 2147483647; return state % n }
function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
/^$/ { k++; next }
k % 2 == 1 {
    n = split($0, w, " ")
    if (n < 10) next
    c = int(n / 2); if (c > 12) c = 12
    m++; ctx[m] = w[1]; for (i = 2; i <= n - c; i++) ctx[m] = ctx[m] " " w[i]
    cont[m] = w[n - c + 1]; for (i = n - c + 2; i <= n; i++) cont[m] = cont[m] " " w[i]
}
END {
    if (m < want + 4) { print "make-demo-data.sh: only " m " usable verses" > "/dev/stderr"; exit 1 }
    state = seed % 2147483647; if (state <= 0) state = 1
    # Verses by continuation length (ties: text order), insertion sort: ~1,500 items.
    for (i = 1; i <= m; i++) {
        j = i - 1
        while (j >= 1 && length(cont[byLen[j]]) > length(cont[i])) { byLen[j + 1] = byLen[j]; j-- }
        byLen[j + 1] = i
    }
    for (i = 1; i <= m; i++) rank[byLen[i]] = i
    # Choose the questions: partial Fisher-Yates, then keep them in text order.
    for (i = 1; i <= m; i++) idx[i] = i
    for (i = 1; i <= want; i++) { j = i + rnd(m - i + 1); t = idx[i]; idx[i] = idx[j]; idx[j] = t; chosen[idx[i]] = 1 }
    for (q = 1; q <= m; q++) {
        if (!(q in chosen)) continue
        lo = rank[q] - 10; hi = rank[q] + 10
        if (lo < 1) { hi += 1 - lo; lo = 1 }
        if (hi > m) { lo -= hi - m; hi = m }
        split("", used); used[cont[q]] = 1; d = 0
        for (tries = 0; d < 3 && tries < 1000; tries++) {
            cand = cont[byLen[lo + rnd(hi - lo + 1)]]
            if (cand in used) continue
            used[cand] = 1; dist[++d] = cand
        }
        if (d < 3) { print "make-demo-data.sh: no distractors for verse " q > "/dev/stderr"; exit 1 }
        gold = rnd(4); line = "{\"context\": \"" esc(ctx[q]) "\", \"choices\": ["; d = 0
        for (i = 0; i < 4; i++) {
            choice = i == gold ? cont[q] : dist[++d]
            line = line (i ? ", " : "") "\"" esc(choice) "\""
        }
        print line "], \"gold\": " gold "}"
    }
}' "$corpus/test.txt" >"$out/tasks.jsonl"

cd "$out" && wc -c calib.txt eval.txt tasks.jsonl && wc -l tasks.jsonl
