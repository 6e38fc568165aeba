//! The `nlf` command-line tool: a thin shell over the library.
//!
//! Exit status: 0 when every input is valid, 1 when any license is invalid, 2 for usage or I/O
//! errors.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[macro_use]
mod output;
mod io;
mod issue_key;
mod keygen;
mod report;
mod sign;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

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
    /// Judge at this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Tolerance around start and expiry times, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub leeway: i64,
    /// Also list packages that have no license.
    #[arg(long)]
    pub all: bool,
    /// Extra packages and bundles (JSON), added to the built-in catalog.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
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
    /// The serial number the key is bound to (up to 12 digits).
    #[arg(long)]
    pub serial: u64,
    /// Last day of validity, YYYY-MM-DD.
    #[arg(long)]
    pub expiry: Option<chrono::NaiveDate>,
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

/// A failure that is the user's or the file system's, not a license's: exit 2.
pub struct UsageError(pub String);

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
    match cli.command {
        Command::Status(args) => status::run(args, cli.json),
        Command::Inspect(args) => report::inspect(args, cli.json),
        Command::Verify(args) => report::verify(args, cli.json),
        Command::Sign(args) => sign::run(args, cli.json),
        Command::IssueKey(args) => issue_key::run(args, cli.json),
        Command::Keygen(args) => keygen::run(args, cli.json),
    }
}
