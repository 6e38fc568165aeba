//! `nlf inspect` and `nlf verify`: every license found, as text or JSON.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use nlf::{Found, Keyring, License, Limits};
use serde_json::{json, Value};

use crate::io::{build_keyring, expand_inputs, read_bytes, ReadError};
use crate::output::{error_json, moment, print_error, print_json};
use crate::{Failure, InspectArgs, VerifyArgs};

/// `nlf inspect`: show the licenses without checking signatures.
pub fn inspect(args: InspectArgs, as_json: bool) -> Result<bool, Failure> {
    report(&expand_inputs(&args.inputs)?.files, None, &Limits::default(), as_json)
}

/// `nlf verify`: verify the licenses against the trusted keys. The exit status is about the
/// signatures: an expired license that verifies is valid, with a note that it has expired.
pub fn verify(args: VerifyArgs, as_json: bool) -> Result<bool, Failure> {
    let VerifyArgs { trust, inputs } = args;
    let found = expand_inputs(&inputs)?;
    let keyring = build_keyring(trust.into_iter().chain(found.trust).collect())?;
    report(&found.files, Some(&keyring), &Limits::default(), as_json)
}

/// When a license stops being valid: an NLF's `expiryDate`, or the midnight (UTC) after a
/// key's last day, as compliance reports it.
fn expiry(license: &License<'_>) -> Option<DateTime<Utc>> {
    match license {
        License::Key(k) => k
            .expiry()
            .and_then(|d| d.checked_add_days(chrono::Days::new(1)))
            .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc()),
        License::Nlf(n) => n.expiry().map(|t| t.with_timezone(&Utc)),
    }
}

fn describe(license: &License<'_>) -> Value {
    match license {
        License::Key(k) => json!({
            "type": "key",
            "key": k.as_str(),
            "package": k.package(),
            "scope": k.scope().as_str(),
            "serial_number": k.serial_number().to_string(),
            "last_day": k.expiry().map(|d| d.to_string()),
            "expiry": expiry(license).map(moment),
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
            "start": n.start().map(|d| moment(d.with_timezone(&Utc))),
            "expiry": expiry(license).map(moment),
            "key_id": n.key_id(),
        }),
    }
}

fn human(license: &License<'_>) -> String {
    let expires = expiry(license).map(|t| format!(" expires {}", moment(t))).unwrap_or_default();
    match license {
        License::Key(k) => {
            let eval = if k.evaluation() { " evaluation" } else { "" };
            format!(
                "key {} {} {} serial {}{expires}{eval}",
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
            s.push_str(&expires);
            if n.evaluation() {
                s.push_str(" evaluation");
            }
            if let Some(id) = n.key_id() {
                s.push_str(&format!(" keyId {id}"));
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
) -> Result<bool, Failure> {
    let now = crate::now();
    let mut all_valid = true;
    let mut out = Vec::new();
    for file in files {
        let path = file.display().to_string();
        // One input at a time: its bytes and parse tree are gone before the next is read.
        let found = read_bytes(file, limits.max_size).map(|bytes| {
            nlf::read(&bytes, limits).map(|found| {
                found.into_iter().map(|f| describe_found(f, keyring, now)).collect::<Vec<_>>()
            })
        });
        let found = match found {
            Ok(Ok(found)) => found,
            Ok(Err(e)) | Err(ReadError::TooLarge(e)) => {
                all_valid = false;
                if as_json {
                    out.push(json!({"path": path, "error": error_json(&e)}));
                } else {
                    print_error(&path, &e, false);
                }
                continue;
            }
            Err(e @ ReadError::Io(_)) => return Err(e.into_failure(file)),
        };
        let mut items = Vec::new();
        if !as_json {
            out!("{path}:");
        }
        for item in found {
            all_valid &= item.valid;
            if as_json {
                items.push(item.json);
            } else {
                out!("{}", item.text);
            }
        }
        if as_json {
            out.push(json!({"path": path, "licenses": items}));
        }
    }
    if as_json {
        print_json(json!({"inputs": out, "valid": all_valid}), true);
    }
    Ok(all_valid)
}

/// One license's verdict, as JSON and as a line of text.
struct Described {
    valid: bool,
    json: Value,
    text: String,
}

fn describe_found(
    Found { form, index, offset, license }: Found<'_>,
    keyring: Option<&Keyring>,
    now: DateTime<Utc>,
) -> Described {
    let result = license.and_then(|u| match keyring {
        Some(k) => k.verify(u).map(|v| (Some(v.signer().to_owned()), v.into_inner())),
        None => Ok((None, u.insecure_into_inner())),
    });
    match result {
        Ok((signer, license)) => {
            let expired_at = expiry(&license).filter(|&t| t <= now);
            let mut json = json!({"index": index, "form": form.as_str(), "offset": offset,
                "valid": true, "license": describe(&license)});
            if let Some(obj) = json.as_object_mut() {
                match &signer {
                    Some(s) => obj.insert("verified_by".into(), json!(s)),
                    None => obj.insert("verified".into(), json!(false)),
                };
                if expiry(&license).is_some() {
                    obj.insert("expired".into(), json!(expired_at.is_some()));
                }
            }
            let mut proof = match &signer {
                Some(s) => format!("verified by {s}"),
                None => "not verified".to_owned(),
            };
            if let Some(t) = expired_at {
                proof.push_str(&format!("; expired at {}", moment(t)));
            }
            let text = format!("  #{index} {}: {} ({proof})", form.as_str(), human(&license));
            Described { valid: true, json, text }
        }
        Err(e) => Described {
            valid: false,
            json: json!({"index": index, "form": form.as_str(), "offset": offset,
                "valid": false, "error": error_json(&e)}),
            text: format!(
                "  #{index} {} at byte {offset}: INVALID [{} {}] {e}",
                form.as_str(),
                e.code(),
                e.kind()
            ),
        },
    }
}
