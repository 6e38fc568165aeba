//! Reading inputs: files, standard input, directories, trusted keys.

use std::io::Read;
use std::path::{Path, PathBuf};

use nlf::Keyring;

use crate::UsageError;

pub fn read_bytes(path: &Path) -> Result<Vec<u8>, UsageError> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| UsageError(format!("{}: {e}", path.display())))
}

pub fn read_text(path: &Path) -> Result<String, UsageError> {
    String::from_utf8(read_bytes(path)?)
        .map_err(|_| UsageError(format!("{}: not UTF-8 text", path.display())))
}

/// Files in a directory, sorted, skipping hidden ones.
fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, UsageError> {
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(dir).map_err(|e| UsageError(format!("{}: {e}", dir.display())))?
    {
        let path = entry?.path();
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if path.is_file() && !hidden {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Expand inputs into files; a directory with `licenses/` inside contributes its `trust/` too.
/// What the command-line inputs hold: license files, and from demo directories (those with a
/// `licenses/` directory) their `trust/` directory and `cluster.json`.
pub struct Inputs {
    pub files: Vec<PathBuf>,
    pub trust: Vec<PathBuf>,
    pub cluster: Option<PathBuf>,
}

pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Inputs, UsageError> {
    let mut trust = Vec::new();
    let mut files = Vec::new();
    let mut cluster = None;
    for input in inputs {
        if input.as_os_str() == "-" {
            files.push(input.clone());
        } else if input.is_dir() {
            if input.join("licenses").is_dir() {
                files.extend(dir_files(&input.join("licenses"))?);
                if input.join("trust").is_dir() {
                    trust.push(input.join("trust"));
                }
                if cluster.is_none() && input.join("cluster.json").is_file() {
                    cluster = Some(input.join("cluster.json"));
                }
            } else {
                files.extend(dir_files(input)?);
            }
        } else if input.exists() {
            files.push(input.clone());
        } else {
            return Err(UsageError(format!("{}: no such file or directory", input.display())));
        }
    }
    if files.is_empty() {
        return Err(UsageError("no input files found".into()));
    }
    Ok(Inputs { files, trust, cluster })
}

pub fn build_keyring(paths: Vec<PathBuf>) -> Result<Keyring, UsageError> {
    if paths.is_empty() {
        return Err(UsageError(
            "trusted keys are needed: pass --trust PATH or a directory with trust/ inside".into(),
        ));
    }
    let mut keyring = Keyring::new();
    for p in &paths {
        load_trust(&mut keyring, p)?;
    }
    Ok(keyring)
}

fn load_trust(keyring: &mut Keyring, path: &Path) -> Result<(), UsageError> {
    let files = if path.is_dir() { dir_files(path)? } else { vec![path.to_path_buf()] };
    for file in files {
        let text = read_text(&file)?;
        let id = trust_id(&file);
        keyring
            .insert_text(&id, &text)
            .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
    }
    Ok(())
}

/// `vendor.pub.pem` → `vendor`: the id a license's keyId names.
fn trust_id(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    name.split('.').next().filter(|s| !s.is_empty()).unwrap_or(name).to_owned()
}
