//! `nlf keygen`: a new Ed25519 key pair or key secret, written to files.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::{KeygenArgs, UsageError};

/// Generate the key material and write it to new files.
pub fn run(args: KeygenArgs, as_json: bool) -> Result<bool, UsageError> {
    let KeygenArgs { name, out_dir, secret } = args;
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| UsageError(format!("no randomness: {e}")))?;
    std::fs::create_dir_all(&out_dir)?;
    let mut written = Vec::new();
    if secret {
        let path = out_dir.join(format!("{name}.secret.pem"));
        let pem = nlf::issue::key_secret_pem(&seed).map_err(|e| UsageError(e.to_string()))?;
        write_new(&path, &pem)?;
        written.push(path);
    } else {
        let issuer = nlf::issue::Issuer::from_seed(&seed);
        let private = out_dir.join(format!("{name}.key.pem"));
        let public = out_dir.join(format!("{name}.pub.pem"));
        write_new(&private, &issuer.to_pkcs8_pem().map_err(|e| UsageError(e.to_string()))?)?;
        write_new(&public, &issuer.public_key_pem().map_err(|e| UsageError(e.to_string()))?)?;
        written.push(private);
        written.push(public);
    }
    if as_json {
        let paths: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        out!("{}", json!({ "written": paths }));
    } else {
        for p in written {
            out!("wrote {}", p.display());
        }
    }
    Ok(true)
}

/// Refuse to overwrite keys: losing a private key is not undoable.
fn write_new(path: &Path, text: &str) -> Result<(), UsageError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}
