#!/usr/bin/env bash
# Recreate the seed corpora fuzz/corpus/<target>/ from testdata/ (corpus dirs are gitignored).
#   every file under testdata/ but testdata/vectors/
#                                    -> read, verify, jcs_differential, key28
#   each line of those *.txt files   -> key28 (one key per seed)
#   testdata/vectors JCS inputs and JSONTestSuite files
#                                    -> jcs_differential, read
#   roundtrip and evaluate take structured (arbitrary) input, so they start from an empty corpus.
# Files are named by content hash, so running it again adds nothing twice.
#
# One Python process does the copying: the shell version ran sha1sum, cut and cp for every
# file and target (about 2,500 processes) and took over 2 minutes of CI's fresh-clone run.
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz")"

python3 - "$root" "$fuzz" <<'PY'
import hashlib
import os
import sys

root, fuzz = sys.argv[1], sys.argv[2]
targets = ["read", "key28", "verify", "jcs_differential", "roundtrip", "evaluate"]
for t in targets:
    os.makedirs(os.path.join(fuzz, "corpus", t), exist_ok=True)


def add(target, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(fuzz, "corpus", target, name), "wb") as f:
        f.write(data)


def files(top, skip=None, keep=lambda name: True):
    for dirpath, dirnames, filenames in os.walk(top):
        if skip is not None:
            dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) != skip]
        dirnames.sort()
        for name in sorted(filenames):
            if keep(name):
                yield os.path.join(dirpath, name)


testdata = os.path.join(root, "testdata")
vectors = os.path.join(testdata, "vectors")
for path in files(testdata, skip=vectors, keep=lambda n: not n.endswith(".sh")):
    with open(path, "rb") as f:
        data = f.read()
    for t in ["read", "verify", "jcs_differential", "key28"]:
        add(t, data)
    if path.endswith(".txt"):
        # Each line of a text file is a key28 seed of its own, without its "\n" (a "\r"
        # before it stays: keys pasted from Windows files are input too).
        for line in data.split(b"\n"):
            if line:
                add("key28", line)

for top in [os.path.join(vectors, "jcs", "testdata", "input"),
            os.path.join(vectors, "jsontestsuite", "test_parsing")]:
    for path in files(top):
        with open(path, "rb") as f:
            data = f.read()
        add("jcs_differential", data)
        add("read", data)

for t in targets:
    n = sum(len(fs) for _, _, fs in os.walk(os.path.join(fuzz, "corpus", t)))
    print(f"corpus/{t}: {n} files")
PY
