//! `nlf issue-key`: issue a 28-character key.

use serde_json::json;

use crate::io::read_text;
use crate::output::{print_json, write_stderr};
use crate::{Failure, IssueKeyArgs};

/// Check the fields, issue the key and print it. The library's refusals are printed with their
/// code (1115117, kind `issue`); a key whose last day is past is issued with a warning.
pub fn run(args: IssueKeyArgs, as_json: bool) -> Result<bool, Failure> {
    let IssueKeyArgs { secret: secret_path, package, scope, serial, expiry, evaluation } = args;
    let secret = nlf::trust::key_secret_from_pem(&read_text(&secret_path)?)
        .map_err(|e| Failure::Library(secret_path.display().to_string(), e))?;
    let scope = nlf::Scope::parse(&scope).ok_or_else(|| {
        Failure::Usage(format!("--scope {scope}: expected node, cluster, site or demo"))
    })?;
    let package_code = nlf::key28::package_code(&package).ok_or_else(|| {
        let known: Vec<&str> = (1..=u8::MAX).filter_map(nlf::key28::package_name).collect();
        Failure::Usage(format!(
            "--package {package}: no 28-character key code for this package; the packages a key can name are {}",
            known.join(", ")
        ))
    })?;
    let fields =
        nlf::key28::KeyFields { scope, package_code, serial_number: serial, expiry, evaluation };
    let key =
        nlf::key28::issue(&fields, &secret).map_err(|e| Failure::Library("issue-key".into(), e))?;
    let today = crate::now().date_naive();
    if let Some(day) = expiry.filter(|&day| day < today) {
        write_stderr(&format!(
            "nlf: warning: --expiry {day} is in the past (today is {today}): the key is expired from the start"
        ));
    }
    if as_json {
        print_json(json!({"key": key.to_string()}), false);
    } else {
        out!("{key}");
    }
    Ok(true)
}
