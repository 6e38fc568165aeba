#!/usr/bin/env bash
# Recreate the seed corpora fuzz/corpus/<target>/ from testdata/ (corpus dirs are gitignored).
#   every file under testdata/ but testdata/vectors/
#                                    -> read, verify, jcs_differential, key28
#   each line of those *.txt files   -> key28 (one key per seed)
#   testdata/vectors JCS inputs and JSONTestSuite files
#                                    -> jcs_differential, read
#   roundtrip and evaluate take structured (arbitrary) input, so they start from an empty corpus.
# Files are named by content hash, so running it again adds nothing twice.
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz")"

add() { # add TARGET FILE
    local name
    name="$(sha1sum "$2" | cut -c1-40)"
    cp "$2" "$fuzz/corpus/$1/$name"
}

for t in read key28 verify jcs_differential roundtrip evaluate; do
    mkdir -p "$fuzz/corpus/$t"
done

while IFS= read -r -d '' f; do
    for t in read verify jcs_differential key28; do
        add "$t" "$f"
    done
done < <(find "$root/testdata" -path "$root/testdata/vectors" -prune -o -type f -not -name '*.sh' -print0)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
i=0
while IFS= read -r -d '' f; do
    while IFS= read -r line || [ -n "$line" ]; do
        [ -n "$line" ] || continue
        i=$((i + 1))
        printf '%s' "$line" >"$tmp/$i"
        add key28 "$tmp/$i"
    done <"$f"
done < <(find "$root/testdata" -path "$root/testdata/vectors" -prune -o -type f -name '*.txt' -print0)

vectors="$root/testdata/vectors"
while IFS= read -r -d '' f; do
    add jcs_differential "$f"
    add read "$f"
done < <(find "$vectors/jcs/testdata/input" "$vectors/jsontestsuite/test_parsing" -type f -print0)

for t in read key28 verify jcs_differential roundtrip evaluate; do
    echo "corpus/$t: $(find "$fuzz/corpus/$t" -type f | wc -l) files"
done
