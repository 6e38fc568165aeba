//! Reading inputs: files, standard input, directories, trusted keys.

use std::io::Read;
use std::path::{Path, PathBuf};

use nlf::{Keyring, Limits};

use crate::Failure;

/// Why an input could not be read.
pub enum ReadError {
    /// Longer than [`Limits::max_size`]: refused as the library refuses any input past a limit,
    /// after reading at most one byte more than the limit.
    TooLarge(nlf::Error),
    /// Not a regular file, or the file system refused (the reason, without the path).
    Io(String),
}

impl ReadError {
    /// The failure that ends a command which cannot go on without this file.
    pub fn into_failure(self, path: &Path) -> Failure {
        match self {
            ReadError::TooLarge(e) => Failure::Library(path.display().to_string(), e),
            ReadError::Io(reason) => Failure::Io(format!("{}: {reason}", path.display())),
        }
    }
}

/// The message for a path that names something other than a regular file or directory.
fn not_regular(path: &Path) -> String {
    format!(
        "{}: not a regular file (FIFOs, devices and sockets are not read; give - to read standard input)",
        path.display()
    )
}

/// Read a file, or standard input for `-`: at most `max_size` bytes. A longer input is
/// [`ReadError::TooLarge`] after `max_size + 1` bytes, so neither memory nor time depends on
/// its true length (`/dev/zero` on standard input ends). Anything but a regular file is refused
/// before it is opened (opening a FIFO would wait for a writer).
pub fn read_bytes(path: &Path, max_size: usize) -> Result<Vec<u8>, ReadError> {
    let io = |e: std::io::Error| ReadError::Io(e.to_string());
    let cap = u64::try_from(max_size).unwrap_or(u64::MAX).saturating_add(1);
    let mut buf = Vec::new();
    let mut file_len = None;
    if path.as_os_str() == "-" {
        std::io::stdin().lock().take(cap).read_to_end(&mut buf).map_err(io)?;
    } else {
        let meta = std::fs::metadata(path).map_err(io)?;
        if !meta.is_file() {
            return Err(ReadError::Io(
                "not a regular file (FIFOs, devices and sockets are not read; give - to read standard input)"
                    .into(),
            ));
        }
        file_len = usize::try_from(meta.len()).ok();
        std::fs::File::open(path).map_err(io)?.take(cap).read_to_end(&mut buf).map_err(io)?;
    }
    if buf.len() > max_size {
        let found = file_len.filter(|&n| n > max_size).unwrap_or(buf.len());
        return Err(ReadError::TooLarge(nlf::Error::LimitExceeded {
            what: nlf::Limit::Size,
            limit: max_size,
            found,
            offset: max_size,
        }));
    }
    Ok(buf)
}

/// A whole file as text (trust material, cluster state, catalog, statusResp), at most
/// [`Limits::max_size`] bytes.
pub fn read_text(path: &Path) -> Result<String, Failure> {
    let bytes = read_bytes(path, Limits::default().max_size).map_err(|e| e.into_failure(path))?;
    String::from_utf8(bytes)
        .map_err(|_| Failure::Usage(format!("{}: not UTF-8 text", path.display())))
}

/// Files in a directory, sorted, skipping hidden ones (and anything not a regular file).
fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(dir).map_err(|e| Failure::Io(format!("{}: {e}", dir.display())))?
    {
        let path = entry.map_err(|e| Failure::Io(format!("{}: {e}", dir.display())))?.path();
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if path.is_file() && !hidden {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// What the command-line inputs hold: license files, and from demo directories (those with a
/// `licenses/` directory) their `trust/` directory and `cluster.json`.
pub struct Inputs {
    pub files: Vec<PathBuf>,
    pub trust: Vec<PathBuf>,
    pub cluster: Option<PathBuf>,
}

/// Expand inputs into files; a directory with `licenses/` inside contributes its `trust/` and
/// `cluster.json` too.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Inputs, Failure> {
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
        } else if input.is_file() {
            files.push(input.clone());
        } else if input.exists() {
            return Err(Failure::Usage(not_regular(input)));
        } else {
            return Err(Failure::Io(format!("{}: no such file or directory", input.display())));
        }
    }
    if files.is_empty() {
        return Err(Failure::Usage("no input files found".into()));
    }
    Ok(Inputs { files, trust, cluster })
}

/// A keyring of every trust file named (files, or directories of them).
pub fn build_keyring(paths: Vec<PathBuf>) -> Result<Keyring, Failure> {
    if paths.is_empty() {
        return Err(Failure::Usage(
            "trusted keys are needed: pass --trust PATH or a directory with trust/ inside".into(),
        ));
    }
    let mut keyring = Keyring::new();
    for p in &paths {
        load_trust(&mut keyring, p)?;
    }
    Ok(keyring)
}

fn load_trust(keyring: &mut Keyring, path: &Path) -> Result<(), Failure> {
    let files = if path.is_dir() {
        dir_files(path)?
    } else if path.is_file() || !path.exists() {
        vec![path.to_path_buf()]
    } else {
        return Err(Failure::Usage(not_regular(path)));
    };
    for file in files {
        let text = read_text(&file)?;
        // A name that is not UTF-8 gives its lossy form (U+FFFD for each bad byte): distinct
        // names keep distinct ids, and a clash is the keyring's error naming the file.
        let name = file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        let id = nlf::trust::key_id_from_file_name(&name).ok_or_else(|| {
            Failure::Usage(format!(
                "{}: a trust file's name starts with its key id (like vendor.pub.pem)",
                file.display()
            ))
        })?;
        keyring
            .insert_text(id, &text)
            .map_err(|e| Failure::Library(file.display().to_string(), e))?;
    }
    Ok(())
}
