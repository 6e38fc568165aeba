//! The `nlf` command-line tool: a thin shell over the library.
//!
//! Exit status: 0 when every input is valid, 1 when any license is invalid, 2 for usage or I/O
//! errors.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nlf::{Error, Found, Keyring, License, Limits};
use serde_json::{json, Value};

/// `println!` (`out!()` for an empty line), except that a closed standard output (`nlf status … | head`) is not a panic: the
/// line is dropped, as a Unix tool's output is when its reader has gone.
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "nlf",
    version,
    about = "Read, verify and issue NetApp-style licenses (28-character keys, NLFv1/NLFv2)"
)]
struct Cli {
    /// Print JSON for machines instead of text for people.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Judge compliance: verify the licenses, expand bundles and compare with the cluster state.
    Status {
        /// The cluster state (JSON); default DIR/cluster.json of a directory input.
        #[arg(long, value_name = "FILE")]
        cluster: Option<PathBuf>,
        /// A public key or key secret file, or a directory of them (repeatable).
        #[arg(long = "trust", value_name = "PATH")]
        trust: Vec<PathBuf>,
        /// Judge at this time (RFC 3339) instead of now.
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
        /// Tolerance around start and expiry times, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 0)]
        leeway: i64,
        /// Also list packages that have no license.
        #[arg(long)]
        all: bool,
        /// Extra packages and bundles (JSON), added to the built-in catalog.
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        /// A directory with trust/, licenses/ and cluster.json (like testdata/demo), or license
        /// files, directories or -.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Show the licenses found in the inputs, without checking signatures.
    Inspect {
        /// Files, directories or - for standard input.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Verify the licenses found in the inputs against trusted keys.
    Verify {
        /// A public key or key secret file, or a directory of them (repeatable).
        #[arg(long = "trust", value_name = "PATH")]
        trust: Vec<PathBuf>,
        /// Files, directories or - for standard input. A directory holding trust/ and licenses/
        /// (like testdata/demo) is read as a whole.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Sign a statusResp JSON object into an NLF (printed on standard output).
    Sign {
        /// The Ed25519 private key (PKCS#8 PEM), as written by `nlf keygen`.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Write this id into statusResp.keyId.
        #[arg(long)]
        key_id: Option<String>,
        /// The statusResp JSON file, or - for standard input.
        input: PathBuf,
    },
    /// Issue a 28-character key.
    IssueKey {
        /// The key secret file (PEM NLF KEY SECRET), as written by `nlf keygen --secret`.
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
        /// Package name, like NFS or FabricPool.
        #[arg(long)]
        package: String,
        /// node, cluster, site or demo.
        #[arg(long)]
        scope: String,
        /// The serial number the key is bound to (up to 12 digits).
        #[arg(long)]
        serial: u64,
        /// Last day of validity, YYYY-MM-DD.
        #[arg(long)]
        expiry: Option<chrono::NaiveDate>,
        /// Mark the key as an evaluation license.
        #[arg(long)]
        evaluation: bool,
    },
    /// Generate an Ed25519 key pair (NAME.key.pem, NAME.pub.pem) or a key secret (NAME.secret.pem).
    Keygen {
        /// File name stem; it becomes the key id when the file is used with --trust.
        #[arg(long, default_value = "issuer")]
        name: String,
        /// Directory to write into.
        #[arg(long, default_value = ".")]
        out_dir: PathBuf,
        /// Generate a key secret for 28-character keys instead of a key pair.
        #[arg(long)]
        secret: bool,
    },
}

/// A failure that is the user's or the file system's, not a license's: exit 2.
struct UsageError(String);

impl From<std::io::Error> for UsageError {
    fn from(e: std::io::Error) -> Self {
        UsageError(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(all_valid) => {
            if all_valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(UsageError(msg)) => {
            if json {
                out!("{}", json!({"error": {"kind": "usage", "message": msg}}));
            } else {
                eprintln!("nlf: {msg}");
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<bool, UsageError> {
    let limits = Limits::default();
    match cli.command {
        Command::Status { cluster, trust, now, leeway, all, catalog, inputs } => {
            let found = expand_inputs(&inputs)?;
            let cluster_path = cluster.or(found.cluster).ok_or_else(|| {
                UsageError(
                    "status needs --cluster FILE or a directory with licenses/ and cluster.json"
                        .into(),
                )
            })?;
            let cluster: nlf::ClusterState = serde_json::from_str(&read_text(&cluster_path)?)
                .map_err(|e| {
                    UsageError(format!("{}: not a cluster state: {e}", cluster_path.display()))
                })?;
            let keyring = build_keyring(trust.into_iter().chain(found.trust).collect())?;
            let mut cat = nlf::Catalog::builtin();
            if let Some(path) = catalog {
                cat.extend_from_json(&read_text(&path)?)
                    .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
            }
            let now = match now {
                Some(t) => chrono::DateTime::parse_from_rfc3339(&t)
                    .map_err(|e| {
                        UsageError(format!(
                            "--now {t}: {e} (expected RFC 3339, like 2026-11-25T12:00:00Z)"
                        ))
                    })?
                    .with_timezone(&chrono::Utc),
                None => chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()),
            };
            // The cluster state is not a license, also when it sits among the license files.
            let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
                (Ok(a), Ok(b)) => a == b,
                _ => a == b,
            };
            let files: Vec<PathBuf> =
                found.files.into_iter().filter(|f| !same(f, &cluster_path)).collect();
            let leeway = chrono::TimeDelta::try_seconds(leeway).ok_or_else(|| {
                UsageError(format!("--leeway {leeway}: at most {} seconds", i64::MAX / 1000))
            })?;
            let mut policy = nlf::Policy::default()
                .with_leeway(leeway)
                .map_err(|e| UsageError(format!("--leeway: {e}")))?;
            if all {
                policy = policy.including_unlicensed();
            }
            status(&files, &keyring, &cluster, now, &policy, &cat, cli.json)
        }
        Command::Inspect { inputs } => {
            report(&expand_inputs(&inputs)?.files, None, &limits, cli.json)
        }
        Command::Verify { trust, inputs } => {
            let found = expand_inputs(&inputs)?;
            let keyring = build_keyring(trust.into_iter().chain(found.trust).collect())?;
            report(&found.files, Some(&keyring), &limits, cli.json)
        }
        Command::Sign { key, key_id, input } => {
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
                    print_error(&input.display().to_string(), &e, cli.json);
                    Ok(false)
                }
            }
        }
        Command::IssueKey { secret, package, scope, serial, expiry, evaluation } => {
            let secret = nlf::trust::key_secret_from_pem(&read_text(&secret)?)
                .map_err(|e| UsageError(format!("{}: {e}", secret.display())))?;
            let scope = nlf::Scope::parse(&scope).ok_or_else(|| {
                UsageError(format!("--scope {scope}: expected node, cluster, site or demo"))
            })?;
            let package_code = nlf::key28::package_code(&package).ok_or_else(|| {
                UsageError(format!(
                    "--package {package}: no 28-character key code for this package"
                ))
            })?;
            let fields = nlf::key28::KeyFields {
                scope,
                package_code,
                serial_number: serial,
                expiry,
                evaluation,
            };
            match nlf::key28::issue(&fields, &secret) {
                Ok(key) => {
                    if cli.json {
                        out!("{}", json!({"key": key.to_string()}));
                    } else {
                        out!("{key}");
                    }
                    Ok(true)
                }
                Err(e) => Err(UsageError(e.to_string())),
            }
        }
        Command::Keygen { name, out_dir, secret } => {
            let mut seed = [0u8; 32];
            getrandom::getrandom(&mut seed)
                .map_err(|e| UsageError(format!("no randomness: {e}")))?;
            std::fs::create_dir_all(&out_dir)?;
            let mut written = Vec::new();
            if secret {
                let path = out_dir.join(format!("{name}.secret.pem"));
                let pem =
                    nlf::issue::key_secret_pem(&seed).map_err(|e| UsageError(e.to_string()))?;
                write_new(&path, &pem)?;
                written.push(path);
            } else {
                let issuer = nlf::issue::Issuer::from_seed(&seed);
                let private = out_dir.join(format!("{name}.key.pem"));
                let public = out_dir.join(format!("{name}.pub.pem"));
                write_new(
                    &private,
                    &issuer.to_pkcs8_pem().map_err(|e| UsageError(e.to_string()))?,
                )?;
                write_new(
                    &public,
                    &issuer.public_key_pem().map_err(|e| UsageError(e.to_string()))?,
                )?;
                written.push(private);
                written.push(public);
            }
            if cli.json {
                let paths: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
                out!("{}", json!({ "written": paths }));
            } else {
                for p in written {
                    out!("wrote {}", p.display());
                }
            }
            Ok(true)
        }
    }
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

fn read_bytes(path: &Path) -> Result<Vec<u8>, UsageError> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| UsageError(format!("{}: {e}", path.display())))
}

fn read_text(path: &Path) -> Result<String, UsageError> {
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
struct Inputs {
    files: Vec<PathBuf>,
    trust: Vec<PathBuf>,
    cluster: Option<PathBuf>,
}

fn expand_inputs(inputs: &[PathBuf]) -> Result<Inputs, UsageError> {
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

fn build_keyring(paths: Vec<PathBuf>) -> Result<Keyring, UsageError> {
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

fn error_json(e: &Error) -> Value {
    json!({"code": e.code(), "kind": e.kind(), "message": e.to_string()})
}

fn print_error(path: &str, e: &Error, as_json: bool) {
    if as_json {
        out!("{}", json!({"path": path, "error": error_json(e)}));
    } else {
        out!("{path}: INVALID [{} {}] {e}", e.code(), e.kind());
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

/// `system license show-status` status words for a package state.
fn status_word(record: &nlf::report::PackageRecord) -> &'static str {
    use nlf::report::State;
    let eval = record.licenses.iter().any(|l| l.evaluation && l.active);
    match record.state {
        State::Compliant if eval => "eval",
        State::Compliant => "valid",
        State::Noncompliant
            if record.licenses.iter().any(|l| l.compliance.state == State::Compliant) =>
        {
            "partially-installed"
        }
        State::Noncompliant => "not-compliant",
        State::Unlicensed => "not-installed",
        State::Unknown => "not-known",
    }
}

fn status(
    files: &[PathBuf],
    keyring: &Keyring,
    cluster: &nlf::ClusterState,
    now: chrono::DateTime<chrono::Utc>,
    policy: &nlf::Policy,
    catalog: &nlf::Catalog,
    as_json: bool,
) -> Result<bool, UsageError> {
    let limits = Limits::default();
    let contents: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| Ok((f.display().to_string(), read_bytes(f)?)))
        .collect::<Result<_, UsageError>>()?;
    // Errors as (file number, license index, path, error), listed in input order at the end.
    let mut errors = Vec::new();
    let mut places = Vec::new();
    let mut unverified = Vec::new();
    for (n, (path, bytes)) in contents.iter().enumerate() {
        match nlf::read(bytes, &limits) {
            Err(e) => errors.push((n, None, path, e)),
            Ok(found) => {
                for f in found {
                    match f.license {
                        Ok(u) => {
                            places.push((n, f.index, path));
                            unverified.push(u);
                        }
                        Err(e) => errors.push((n, Some(f.index), path, e)),
                    }
                }
            }
        }
    }
    // A fleet's licenses are checked together (one batch equation for the NLFs).
    let mut licenses = Vec::new();
    for ((n, index, path), result) in places.into_iter().zip(keyring.verify_batch(unverified)) {
        match result {
            Ok(v) => licenses.extend(nlf::expand(&v, catalog)),
            Err(e) => errors.push((n, Some(index), path, e)),
        }
    }
    errors.sort_by_key(|&(n, index, ..)| (n, index));
    let errors: Vec<(&String, Option<usize>, Error)> =
        errors.into_iter().map(|(_, index, path, e)| (path, index, e)).collect();
    let assessment = nlf::evaluate(&licenses, cluster, now, policy, catalog);
    if as_json {
        let mut v = serde_json::to_value(&assessment.report).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            let findings: Vec<Value> = assessment
                .findings
                .iter()
                .map(|f| json!({"package": f.package, "kind": f.kind_name(), "code": f.code(), "message": f.to_string()}))
                .collect();
            obj.insert("findings".into(), json!(findings));
            let errs: Vec<Value> = errors
                .iter()
                .map(|(p, i, e)| json!({"path": p, "index": i, "error": error_json(e)}))
                .collect();
            obj.insert("errors".into(), json!(errs));
        }
        out!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(errors.is_empty());
    }
    for (path, index, e) in &errors {
        let at = index.map(|i| format!(" #{i}")).unwrap_or_default();
        print_error(&format!("{path}{at}"), e, false);
    }
    if !errors.is_empty() {
        out!();
    }
    out!(
        "Cluster {} (serial {}), {} node(s), at {}",
        cluster.name,
        cluster.serial_number,
        cluster.nodes.len(),
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    out!();
    out!(
        "{:<20} {:<18} {:<14} {:<28} Detailed Status",
        "Status",
        "License",
        "Scope",
        "Entitlement"
    );
    out!(
        "{:<20} {:<18} {:<14} {:<28} {}",
        "-".repeat(20),
        "-".repeat(18),
        "-".repeat(14),
        "-".repeat(28),
        "-".repeat(40)
    );
    for r in &assessment.report.records {
        let scope = r.scope.as_str();
        let ent = r
            .entitlement
            .map_or_else(|| "-".into(), |e| format!("{}/{}", e.risk.as_str(), e.action.as_str()));
        let mut details = assessment.findings.iter().filter(|f| f.package == r.name);
        let first = details.next().map_or_else(|| "-".into(), |f| f.kind.to_string());
        out!("{:<20} {:<18} {:<14} {:<28} {}", status_word(r), r.name, scope, ent, first);
        for f in details {
            out!("{:<20} {:<18} {:<14} {:<28} {}", "", "", "", "", f.kind);
        }
    }
    // Findings about packages the report does not list (usage of a package without a license,
    // unless --all asked for those).
    let listed: std::collections::HashSet<&str> =
        assessment.report.records.iter().map(|r| r.name.as_str()).collect();
    let mut others = assessment.findings.iter().filter(|f| !listed.contains(f.package.as_str()));
    if let Some(f) = others.next() {
        out!();
        out!("{f}");
        for f in others {
            out!("{f}");
        }
    }
    Ok(errors.is_empty())
}
