//! `nlf sign`: sign a statusResp object into an NLF.

use nlf::Limits;

use crate::io::read_text;
use crate::output::print_error;
use crate::{SignArgs, UsageError};

/// Sign the statusResp and print the NLF; a statusResp the library refuses is exit 1.
pub fn run(args: SignArgs, as_json: bool) -> Result<bool, UsageError> {
    let SignArgs { key, key_id, input } = args;
    let limits = Limits::default();
    let pem = read_text(&key)?;
    let mut issuer =
        nlf::issue::Issuer::from_pkcs8_pem(&pem).map_err(|e| UsageError(e.to_string()))?;
    if let Some(id) = key_id {
        issuer = issuer.with_key_id(&id);
    }
    let body = read_text(&input)?;
    match issuer.sign(&body, &limits) {
        Ok(doc) => {
            out!("{doc}");
            Ok(true)
        }
        Err(e) => {
            print_error(&input.display().to_string(), &e, as_json);
            Ok(false)
        }
    }
}
