#!/usr/bin/env bash
# Regenerates the signed demo licenses from testdata/src with the demo issuer key.
# Ed25519 signatures and key MACs are deterministic, so the output is reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."
nlf() { cargo run -q --features cli -- "$@"; }
out=testdata/demo/licenses
for name in core-bundle fabricpool cloud-eval; do
  nlf sign --key testdata/issuer/vendor.key.pem --key-id vendor "testdata/src/$name.json" > "$out/$name.nlf"
done
{
  nlf issue-key --secret testdata/issuer/vendor.secret.pem --package SnapMirror --scope node --serial 4212426890
  nlf issue-key --secret testdata/issuer/vendor.secret.pem --package SnapMirror --scope node --serial 4212426891
  nlf issue-key --secret testdata/issuer/vendor.secret.pem --package SnapMirror --scope node --serial 4212426892
  nlf issue-key --secret testdata/issuer/vendor.secret.pem --package SnapLock --scope site --serial 4149027342
  nlf issue-key --secret testdata/issuer/vendor.secret.pem --package FlexCache --scope demo --serial 4149027342 --expiry 2030-12-31 --evaluation
} > "$out/keys.txt"

# Every accepted input form, built from the demo licenses (python3 does the escaping).
forms=testdata/forms
mkdir -p "$forms"
head -n1 "$out/keys.txt" > "$forms/key.txt"
python3 - "$out" "$forms" <<'PY'
import json, sys
out, forms = sys.argv[1], sys.argv[2]
fp = open(f"{out}/fabricpool.nlf").read().strip()
core = open(f"{out}/core-bundle.nlf").read().strip()
key = open(f"{out}/keys.txt").read().split()[0]
# Re-indented, members reordered: the signature covers the canonical form, so it still verifies.
doc = json.loads(fp)
doc["statusResp"] = dict(reversed(list(doc["statusResp"].items())))
open(f"{forms}/nlf-pretty.json", "w").write(json.dumps(doc, indent=4) + "\n")
open(f"{forms}/escaped-nlf.txt", "w").write(json.dumps(fp) + "\n")
open(f"{forms}/rest-body.json", "w").write(json.dumps({"keys": [fp, key, core]}, indent=2) + "\n")
open(f"{forms}/nlf-lines.txt", "w").write(fp + "\n" + core + "\n")
open(f"{forms}/bom-crlf.txt", "wb").write(b"\xef\xbb\xbf\r\n  " + core.encode() + b"\r\n\r\n")
PY

# Inputs that must fail, one per error kind; tests/fixtures.rs names the kind from the file name.
errors=testdata/errors
mkdir -p "$errors"
nlf issue-key --secret testdata/issuer/other.secret.pem --package NFS --scope node --serial 4212426890 > "$errors/key_not_issued.txt"
nlf sign --key testdata/issuer/other.key.pem --key-id other testdata/src/fabricpool.json > "$errors/unknown_key_id.nlf"
sed 's/"capacity":"1"/"capacity":"2"/' "$out/fabricpool.nlf" > "$errors/signature_invalid.nlf"
