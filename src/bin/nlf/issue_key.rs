//! `nlf issue-key`: issue a 28-character key.

use serde_json::json;

use crate::io::read_text;
use crate::{IssueKeyArgs, UsageError};

/// Check the fields, issue the key and print it.
pub fn run(args: IssueKeyArgs, as_json: bool) -> Result<bool, UsageError> {
    let IssueKeyArgs { secret, package, scope, serial, expiry, evaluation } = args;
    let secret = nlf::trust::key_secret_from_pem(&read_text(&secret)?)
        .map_err(|e| UsageError(format!("{}: {e}", secret.display())))?;
    let scope = nlf::Scope::parse(&scope).ok_or_else(|| {
        UsageError(format!("--scope {scope}: expected node, cluster, site or demo"))
    })?;
    let package_code = nlf::key28::package_code(&package).ok_or_else(|| {
        UsageError(format!("--package {package}: no 28-character key code for this package"))
    })?;
    let fields =
        nlf::key28::KeyFields { scope, package_code, serial_number: serial, expiry, evaluation };
    match nlf::key28::issue(&fields, &secret) {
        Ok(key) => {
            if as_json {
                out!("{}", json!({"key": key.to_string()}));
            } else {
                out!("{key}");
            }
            Ok(true)
        }
        Err(e) => Err(UsageError(e.to_string())),
    }
}
