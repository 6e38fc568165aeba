//! `nlf keygen`: a new Ed25519 key pair or key secret, written to files.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::output::print_json;
use crate::{Failure, KeygenArgs};

/// Generate the key material and write it to new files.
pub fn run(args: KeygenArgs, as_json: bool) -> Result<bool, Failure> {
    let KeygenArgs { name, out_dir, secret } = args;
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| Failure::Io(format!("no randomness: {e}")))?;
    std::fs::create_dir_all(&out_dir)?;
    let mut written = Vec::new();
    if secret {
        let path = out_dir.join(format!("{name}.secret.pem"));
        let pem =
            nlf::issue::key_secret_pem(&seed).map_err(|e| Failure::Library("keygen".into(), e))?;
        write_new(&path, &pem, true)?;
        written.push(path);
    } else {
        let issuer = nlf::issue::Issuer::from_seed(&seed);
        let private = out_dir.join(format!("{name}.key.pem"));
        let public = out_dir.join(format!("{name}.pub.pem"));
        let private_pem =
            issuer.to_pkcs8_pem().map_err(|e| Failure::Library("keygen".into(), e))?;
        let public_pem =
            issuer.public_key_pem().map_err(|e| Failure::Library("keygen".into(), e))?;
        write_new(&private, &private_pem, true)?;
        write_new(&public, &public_pem, false)?;
        written.push(private);
        written.push(public);
    }
    if as_json {
        let paths: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        print_json(json!({ "written": paths }), false);
    } else {
        for p in written {
            out!("wrote {}", p.display());
        }
    }
    Ok(true)
}

/// Refuse to overwrite keys: losing a private key is not undoable. A `private` file (private
/// key, key secret) is created readable by its owner only (mode 0600 on Unix), from its first
/// byte.
fn write_new(path: &Path, text: &str, private: bool) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = options.open(path).map_err(|e| Failure::Io(format!("{}: {e}", path.display())))?;
    f.write_all(text.as_bytes()).map_err(|e| Failure::Io(format!("{}: {e}", path.display())))?;
    Ok(())
}
