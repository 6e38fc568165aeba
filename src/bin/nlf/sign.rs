//! `nlf sign`: sign a statusResp object into an NLF.

use nlf::Limits;

use crate::io::read_text;
use crate::output::{print_error, write_stdout};
use crate::{Failure, SignArgs};

/// Sign the statusResp and print the NLF. Content that is not a valid NLF is exit 1 (like an
/// invalid license); a refusal to sign what was asked (a whole NLF instead of its statusResp,
/// a `--key-id` other than the statusResp's `keyId`) is exit 2.
pub fn run(args: SignArgs, as_json: bool) -> Result<bool, Failure> {
    let SignArgs { key, key_id, input } = args;
    let limits = Limits::default();
    let pem = read_text(&key)?;
    let mut issuer = nlf::issue::Issuer::from_pkcs8_pem(&pem)
        .map_err(|e| Failure::Library(key.display().to_string(), e))?;
    if let Some(id) = key_id {
        issuer = issuer.with_key_id(&id);
    }
    let body = read_text(&input)?;
    match issuer.sign(&body, &limits) {
        Ok(doc) => {
            // The NLF is JSON (its strings escaped): printed as it is.
            write_stdout(&doc);
            Ok(true)
        }
        Err(e @ nlf::Error::Issue { .. }) => Err(Failure::Library(input.display().to_string(), e)),
        Err(e) => {
            print_error(&input.display().to_string(), &e, as_json);
            Ok(false)
        }
    }
}
