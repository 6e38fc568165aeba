//! The `nlf` command-line tool: a thin shell over the library.
//!
//! Exit status: 0 when every input is valid, 1 when any license is invalid, 2 for usage or I/O
//! errors (and refusals to issue). With `--json` every error, clap's included, is one JSON
//! object `{"code", "kind", "message"}` (`code` only where ONTAP has one; never `null`).

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[macro_use]
mod output;
mod audit;
mod io;
mod issue_key;
mod keygen;
mod report;
mod serve;
mod sign;
mod status;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::output::{print_json, write_stderr};

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
    Status(StatusArgs),
    /// Show the licenses found in the inputs, without checking signatures.
    Inspect(InspectArgs),
    /// Verify the licenses found in the inputs against trusted keys.
    Verify(VerifyArgs),
    /// Sign a statusResp JSON object into an NLF (printed on standard output).
    Sign(SignArgs),
    /// Issue a 28-character key.
    IssueKey(IssueKeyArgs),
    /// Generate an Ed25519 key pair (NAME.key.pem, NAME.pub.pem) or a key secret (NAME.secret.pem).
    Keygen(KeygenArgs),
    /// Judge other vendors' license inventories (NTT ECL, ZStack, NVIDIA License System),
    /// which are not signed and are trusted as read.
    Audit(audit::AuditArgs),
    /// Install licenses into a store directory (trust/, cluster.json, licenses.db), like
    /// `system license add`: each input is installed atomically or refused with every reason.
    Add(AddArgs),
    /// Delete licenses from a store, like `system license delete`.
    Delete(DeleteArgs),
    /// Remove expired and/or unused licenses from a store, like `system license clean-up`.
    CleanUp(CleanUpArgs),
    /// List a store's installed licenses, like `system license show`.
    Show(StoreDirArgs),
    /// Print a store's audit log, one JSON object a line.
    Log(StoreDirArgs),
    /// Write a store's installed licenses as files into OUT.
    Export(ExportArgs),
    /// Serve a store over ONTAP's licensing REST API (HTTPS; plain HTTP only on loopback).
    Serve(serve::ServeArgs),
    /// Add a user of the REST API or change one; the password is read from standard input.
    Passwd(serve::PasswdArgs),
}

/// Arguments of `nlf add`.
#[derive(Args)]
pub struct AddArgs {
    /// The store directory.
    pub dir: PathBuf,
    /// License files, - for standard input, or the text of a 28-character key.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Change at this time (RFC 3339 or YYYY-MM-DD) instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
}

/// Arguments of `nlf delete`.
#[derive(Args)]
pub struct DeleteArgs {
    /// The store directory.
    pub dir: PathBuf,
    /// The package to delete (its licenses for --serial).
    #[arg(
        long,
        conflicts_with = "installed_license",
        required_unless_present = "installed_license"
    )]
    pub package: Option<String>,
    /// A whole NLFv2 by its installed license (`*` matches any run: Core*Bundle).
    #[arg(long)]
    pub installed_license: Option<String>,
    /// The serial number, or * for every serial.
    #[arg(long)]
    pub serial: String,
    /// Change at this time (RFC 3339 or YYYY-MM-DD) instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
}

/// Arguments of `nlf clean-up`.
#[derive(Args)]
pub struct CleanUpArgs {
    /// The store directory.
    pub dir: PathBuf,
    /// Remove expired licenses.
    #[arg(long)]
    pub expired: bool,
    /// Remove licenses of packages the cluster state reports as not in use.
    #[arg(long)]
    pub unused: bool,
    /// Only list what would be removed.
    #[arg(long)]
    pub simulate: bool,
    /// Change at this time (RFC 3339 or YYYY-MM-DD) instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
}

/// Arguments of `nlf show` and `nlf log`.
#[derive(Args)]
pub struct StoreDirArgs {
    /// The store directory.
    pub dir: PathBuf,
}

/// Arguments of `nlf export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The store directory.
    pub dir: PathBuf,
    /// The directory to write the license files into.
    pub out: PathBuf,
}

/// Arguments of `nlf status`.
#[derive(Args)]
pub struct StatusArgs {
    /// The cluster state (JSON); default DIR/cluster.json of a directory input.
    #[arg(long, value_name = "FILE")]
    pub cluster: Option<PathBuf>,
    /// A public key or key secret file, or a directory of them (repeatable).
    #[arg(long = "trust", value_name = "PATH")]
    pub trust: Vec<PathBuf>,
    /// Judge at this time (RFC 3339, or a date YYYY-MM-DD for its midnight UTC) instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
    /// Tolerance around start and expiry times, in seconds (zero or more).
    #[arg(long, value_name = "SECONDS", default_value_t = 0, allow_negative_numbers = true)]
    pub leeway: i64,
    /// Also list packages that have no license.
    #[arg(long)]
    pub all: bool,
    /// Extra packages and bundles (JSON), added to the built-in catalog.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Judge the licenses WITHOUT checking their signatures (for licenses signed by a key you
    /// do not have, such as NetApp's). The output says so on every line that matters.
    #[arg(long)]
    pub unverified: bool,
    /// A directory with trust/, licenses/ and cluster.json (like testdata/demo), or license
    /// files, directories or -.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
}

/// Arguments of `nlf inspect`.
#[derive(Args)]
pub struct InspectArgs {
    /// Files, directories or - for standard input.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
}

/// Arguments of `nlf verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// A public key or key secret file, or a directory of them (repeatable).
    #[arg(long = "trust", value_name = "PATH")]
    pub trust: Vec<PathBuf>,
    /// Files, directories or - for standard input. A directory holding trust/ and licenses/
    /// (like testdata/demo) is read as a whole.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
}

/// Arguments of `nlf sign`.
#[derive(Args)]
pub struct SignArgs {
    /// The Ed25519 private key (PKCS#8 PEM), as written by `nlf keygen`.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Write this id into statusResp.keyId.
    #[arg(long)]
    pub key_id: Option<String>,
    /// The statusResp JSON file, or - for standard input.
    pub input: PathBuf,
}

/// Arguments of `nlf issue-key`.
#[derive(Args)]
pub struct IssueKeyArgs {
    /// The key secret file (PEM NLF KEY SECRET), as written by `nlf keygen --secret`.
    #[arg(long, value_name = "FILE")]
    pub secret: PathBuf,
    /// Package name, like NFS or FabricPool.
    #[arg(long)]
    pub package: String,
    /// node, cluster, site or demo.
    #[arg(long)]
    pub scope: String,
    /// The serial number the key is bound to: 1 to 12 digits.
    #[arg(long, value_parser = parse_serial)]
    pub serial: u64,
    /// Last day of validity, YYYY-MM-DD.
    #[arg(long, value_parser = parse_day)]
    pub expiry: Option<NaiveDate>,
    /// Mark the key as an evaluation license.
    #[arg(long)]
    pub evaluation: bool,
}

/// Arguments of `nlf keygen`.
#[derive(Args)]
pub struct KeygenArgs {
    /// File name stem; it becomes the key id when the file is used with --trust.
    #[arg(long, default_value = "issuer")]
    pub name: String,
    /// Directory to write into.
    #[arg(long, default_value = ".")]
    pub out_dir: PathBuf,
    /// Generate a key secret for 28-character keys instead of a key pair.
    #[arg(long)]
    pub secret: bool,
}

/// Why a command could not do its work: exit status 2.
pub enum Failure {
    /// The arguments are wrong (`"kind": "usage"`).
    Usage(String),
    /// A file could not be read or written (`"kind": "io"`).
    Io(String),
    /// The library refused, in the context named (a file, an option): printed with its code
    /// and kind, as every library error is.
    Library(String, nlf::Error),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e.to_string())
    }
}

impl Failure {
    fn print(&self, as_json: bool) {
        match (self, as_json) {
            (Failure::Usage(msg), true) => {
                print_json(json!({"kind": "usage", "message": msg}), false)
            }
            (Failure::Io(msg), true) => print_json(json!({"kind": "io", "message": msg}), false),
            (Failure::Library(at, e), true) => print_json(
                json!({"code": e.code(), "kind": e.kind(), "message": format!("{at}: {e}")}),
                false,
            ),
            (Failure::Usage(msg) | Failure::Io(msg), false) => write_stderr(&format!("nlf: {msg}")),
            (Failure::Library(at, e), false) => {
                write_stderr(&format!("nlf: {at}: [{} {}] {e}", e.code(), e.kind()))
            }
        }
    }
}

/// Whether `--json` is on the command line (before any `--`), for errors clap finds before
/// the arguments are parsed.
fn json_asked() -> bool {
    std::env::args_os().skip(1).take_while(|a| a != "--").any(|a| a == "--json")
}

/// clap's error message without its `error:` prefix and usage lines, on one line.
fn clap_message(e: &clap::Error) -> String {
    let text = e.to_string();
    let text = text.split("\n\nUsage:").next().unwrap_or_default();
    let text = text.trim().strip_prefix("error:").unwrap_or(text);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && json_asked() => {
            print_json(json!({"kind": "usage", "message": clap_message(&e)}), false);
            return ExitCode::from(2);
        }
        Err(e) => {
            // Help and version on standard output, errors on standard error; a closed one is
            // not a panic.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(failure) => {
            failure.print(json);
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<bool, Failure> {
    match cli.command {
        Command::Status(args) => status::run(args, cli.json),
        Command::Inspect(args) => report::inspect(args, cli.json),
        Command::Verify(args) => report::verify(args, cli.json),
        Command::Sign(args) => sign::run(args, cli.json),
        Command::IssueKey(args) => issue_key::run(args, cli.json),
        Command::Keygen(args) => keygen::run(args, cli.json),
        Command::Audit(args) => audit::run(args, cli.json),
        Command::Add(a) => store::add(&a.dir, &a.inputs, a.now.unwrap_or_else(now), cli.json),
        Command::Delete(a) => {
            let target = match (a.package, a.installed_license) {
                (Some(package), _) => {
                    nlf::store::DeleteTarget::Package { package, serial: a.serial }
                }
                (None, Some(name)) => {
                    nlf::store::DeleteTarget::InstalledLicense { name, serial: a.serial }
                }
                (None, None) => {
                    return Err(Failure::Usage(
                        "delete needs --package P or --installed-license NAME".into(),
                    ))
                }
            };
            store::delete(&a.dir, target, a.now.unwrap_or_else(now), cli.json)
        }
        Command::CleanUp(a) => store::clean_up(
            &a.dir,
            nlf::store::CleanUp { expired: a.expired, unused: a.unused },
            a.simulate,
            a.now.unwrap_or_else(now),
            cli.json,
        ),
        Command::Show(a) => store::show(&a.dir, cli.json),
        Command::Log(a) => store::log(&a.dir),
        Command::Export(a) => store::export(&a.dir, &a.out, cli.json),
        Command::Serve(a) => serve::serve(a),
        Command::Passwd(a) => serve::passwd(a, cli.json),
    }
}

/// `--now`: RFC 3339, or a date for its midnight UTC.
fn parse_now(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    match parse_day(text) {
        Ok(day) => Ok(day.and_time(chrono::NaiveTime::MIN).and_utc()),
        Err(_) => Err(
            "expected RFC 3339, like 2026-11-25T12:00:00Z, or a date YYYY-MM-DD (its midnight UTC)"
                .into(),
        ),
    }
}

/// A calendar day written exactly `YYYY-MM-DD` (two-digit month and day), as docs/key28.md
/// writes expiry dates.
fn parse_day(text: &str) -> Result<NaiveDate, String> {
    let shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, c)| match i {
            4 | 7 => c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return Err("expected YYYY-MM-DD with a two-digit month and day, like 2027-01-05".into());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| format!("{e}: no such day"))
}

/// A serial number a 28-character key can carry: 1 to 12 ASCII digits.
fn parse_serial(text: &str) -> Result<u64, String> {
    let digits = text.bytes().all(|c| c.is_ascii_digit());
    if !text.is_empty() && text.bytes().all(|c| c.is_ascii_digit() || c == b'-') && !digits {
        return Err("an ONTAP-style serial number (like 1-80-000011) cannot be carried by a \
                    28-character key, which holds a number of 1 to 12 digits; license such a \
                    system with an NLF (nlf sign)"
            .into());
    }
    if text.is_empty() || text.len() > 12 || !digits {
        return Err("expected 1 to 12 ASCII digits (a 28-character key holds a serial number \
                    below 10^12)"
            .into());
    }
    text.parse().map_err(|e| format!("{e}"))
}

/// The system clock (chrono is built without its clock feature: the library never reads it).
pub fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}
