//! `nlf inspect` and `nlf verify`: every license found, as text or JSON.

use std::path::PathBuf;

use nlf::{Found, Keyring, License, Limits};
use serde_json::{json, Value};

use crate::io::{build_keyring, expand_inputs, read_bytes};
use crate::output::{error_json, print_error};
use crate::{InspectArgs, UsageError, VerifyArgs};

/// `nlf inspect`: show the licenses without checking signatures.
pub fn inspect(args: InspectArgs, as_json: bool) -> Result<bool, UsageError> {
    report(&expand_inputs(&args.inputs)?.files, None, &Limits::default(), as_json)
}

/// `nlf verify`: verify the licenses against the trusted keys.
pub fn verify(args: VerifyArgs, as_json: bool) -> Result<bool, UsageError> {
    let VerifyArgs { trust, inputs } = args;
    let found = expand_inputs(&inputs)?;
    let keyring = build_keyring(trust.into_iter().chain(found.trust).collect())?;
    report(&found.files, Some(&keyring), &Limits::default(), as_json)
}

fn describe(license: &License<'_>) -> Value {
    match license {
        License::Key(k) => json!({
            "type": "key",
            "key": k.as_str(),
            "package": k.package(),
            "scope": k.scope().as_str(),
            "serial_number": k.serial_number().to_string(),
            "expiry": k.expiry().map(|d| d.to_string()),
            "evaluation": k.evaluation(),
        }),
        License::Nlf(n) => json!({
            "type": format!("nlfv{}", n.version().number()),
            "serial_number": n.serial_number(),
            "product": n.product(),
            "packages": n.packages().collect::<Vec<_>>(),
            "scope": n.scope().as_str(),
            "host_id": n.host_id(),
            "capacity_bytes": n.capacity_bytes(),
            "evaluation": n.evaluation(),
            "start": n.start().map(|d| d.to_rfc3339()),
            "expiry": n.expiry().map(|d| d.to_rfc3339()),
            "key_id": n.key_id(),
        }),
    }
}

fn human(license: &License<'_>) -> String {
    match license {
        License::Key(k) => {
            let expiry = k.expiry().map(|d| format!(" expires {d}")).unwrap_or_default();
            let eval = if k.evaluation() { " evaluation" } else { "" };
            format!(
                "key {} {} {} serial {}{expiry}{eval}",
                k.as_str(),
                k.package(),
                k.scope(),
                k.serial_number()
            )
        }
        License::Nlf(n) => {
            let packages: Vec<&str> = n.packages().collect();
            let mut s = format!(
                "NLFv{} \"{}\" serial {} {} packages {}",
                n.version().number(),
                n.product(),
                n.serial_number(),
                n.scope(),
                packages.join(",")
            );
            if let Some(h) = n.host_id() {
                s.push_str(&format!(" host {h}"));
            }
            if let Some(t) = n.capacity_tib() {
                s.push_str(&format!(" capacity {t} TiB"));
            }
            if let Some(e) = n.expiry() {
                s.push_str(&format!(" expires {}", e.to_rfc3339()));
            }
            if n.evaluation() {
                s.push_str(" evaluation");
            }
            s
        }
    }
}

/// Print every license found; with a keyring, verify each. Returns whether all are valid.
fn report(
    files: &[PathBuf],
    keyring: Option<&Keyring>,
    limits: &Limits,
    as_json: bool,
) -> Result<bool, UsageError> {
    let mut all_valid = true;
    let mut out = Vec::new();
    for file in files {
        let path = file.display().to_string();
        let bytes = read_bytes(file)?;
        let found = match nlf::read(&bytes, limits) {
            Ok(found) => found,
            Err(e) => {
                all_valid = false;
                if as_json {
                    out.push(json!({"path": path, "error": error_json(&e)}));
                } else {
                    print_error(&path, &e, false);
                }
                continue;
            }
        };
        let mut items = Vec::new();
        if !as_json {
            out!("{path}:");
        }
        for Found { form, index, offset, license } in found {
            let result = license.and_then(|u| match keyring {
                Some(k) => k.verify(u).map(|v| (Some(v.signer().to_owned()), v.into_inner())),
                None => Ok((None, u.insecure_into_inner())),
            });
            match result {
                Ok((signer, license)) => {
                    if as_json {
                        let proof = match &signer {
                            Some(s) => json!({"verified_by": s}),
                            None => json!({"verified": false}),
                        };
                        let mut v = json!({"index": index, "form": form.as_str(), "offset": offset,
                            "valid": true, "license": describe(&license)});
                        if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), proof) {
                            obj.extend(extra);
                        }
                        items.push(v);
                    } else {
                        let proof = match &signer {
                            Some(s) => format!("verified by {s}"),
                            None => "not verified".to_owned(),
                        };
                        out!("  #{index} {}: {} ({proof})", form.as_str(), human(&license));
                    }
                }
                Err(e) => {
                    all_valid = false;
                    if as_json {
                        items.push(json!({"index": index, "form": form.as_str(), "offset": offset,
                            "valid": false, "error": error_json(&e)}));
                    } else {
                        out!(
                            "  #{index} {} at byte {offset}: INVALID [{} {}] {e}",
                            form.as_str(),
                            e.code(),
                            e.kind()
                        );
                    }
                }
            }
        }
        if as_json {
            out.push(json!({"path": path, "licenses": items}));
        }
    }
    if as_json {
        out!(
            "{}",
            serde_json::to_string_pretty(&json!({"inputs": out, "valid": all_valid}))
                .unwrap_or_default()
        );
    }
    Ok(all_valid)
}
