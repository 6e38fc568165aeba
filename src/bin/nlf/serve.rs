//! `nlf serve DIR`: ONTAP's licensing REST API over a store directory, and `nlf passwd DIR
//! USER`: add a user of it or change one.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use nlf::server::{self, auth, Options, ServeOptions, ServerState};

use crate::output::{write_stderr, write_stdout};
use crate::Failure;

/// Arguments of `nlf serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The store directory (trust/, cluster.json, licenses.db).
    pub dir: PathBuf,
    /// Address and port to listen on (port 0: any free port; the address taken is printed).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// The server's certificate chain (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The server's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP, without TLS (only on a loopback address).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub insecure_http: bool,
    /// The largest request body, in bytes.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_body: usize,
}

/// Arguments of `nlf passwd`.
#[derive(Args)]
pub struct PasswdArgs {
    /// The store directory.
    pub dir: PathBuf,
    /// The user name.
    pub user: String,
    /// What the user may do: admin (read, install, delete) or readonly (read).
    #[arg(long, value_parser = ["admin", "readonly"], required_unless_present = "delete")]
    pub role: Option<String>,
    /// Remove the user instead (a running server refuses it from its next request on).
    #[arg(long, conflicts_with = "role")]
    pub delete: bool,
}

/// `nlf passwd`: the password is the first line of standard input.
pub fn passwd(args: PasswdArgs, as_json: bool) -> Result<bool, Failure> {
    let Some(role) = args.role.clone().filter(|_| !args.delete) else {
        let (mut store, _) = crate::store::open(&args.dir)?;
        let removed = store
            .delete_user(&args.user)
            .map_err(|e| Failure::Io(format!("{}: {e}", args.dir.display())))?;
        if !removed {
            return Err(Failure::Usage(format!("{}: no user {:?}", args.dir.display(), args.user)));
        }
        if as_json {
            crate::output::print_json(
                serde_json::json!({"user": args.user, "deleted": true}),
                false,
            );
        } else {
            write_stdout(&format!("user {} deleted", args.user));
        }
        return Ok(true);
    };
    let mut input = Vec::new();
    std::io::stdin()
        .take(auth::MAX_PASSWORD as u64 + 2)
        .read_to_end(&mut input)
        .map_err(|e| Failure::Io(format!("standard input: {e}")))?;
    let text = String::from_utf8(input)
        .map_err(|_| Failure::Usage("the password on standard input is not UTF-8".into()))?;
    let password = text.split('\n').next().unwrap_or("").trim_end_matches('\r');
    let hash =
        auth::hash_password(password).map_err(|e| Failure::Usage(format!("password: {e}")))?;
    let (mut store, _) = crate::store::open(&args.dir)?;
    store
        .set_user(&args.user, &role, &hash, crate::now())
        .map_err(|e| Failure::Usage(format!("{}: {e}", args.dir.display())))?;
    if as_json {
        crate::output::print_json(serde_json::json!({"user": args.user, "role": role}), false);
    } else {
        write_stdout(&format!("user {} ({role}) saved", args.user));
    }
    Ok(true)
}

/// `nlf serve`.
pub fn serve(args: ServeArgs) -> Result<bool, Failure> {
    let tls = match (&args.tls_cert, &args.tls_key, args.insecure_http) {
        (Some(c), Some(k), false) => Some(
            server::tls_config(c, k).map_err(|e| Failure::Usage(format!("TLS: {e}")))?,
        ),
        (None, None, true) if args.listen.ip().is_loopback() => None,
        (None, None, true) => {
            return Err(Failure::Usage(format!(
                "--insecure-http serves passwords in clear text: it is allowed only on a loopback address (127.0.0.1, ::1), not {}",
                args.listen.ip()
            )))
        }
        _ => {
            return Err(Failure::Usage(
                "give --tls-cert PEM and --tls-key PEM (ONTAP's REST API is HTTPS only), or --insecure-http on a loopback address".into(),
            ))
        }
    };
    let (store, cluster) = crate::store::open(&args.dir)?;
    if store.users().map(|u| u.is_empty()).unwrap_or(true) {
        write_stderr(&format!(
            "nlf: warning: {} has no users yet; every request will be refused until `nlf passwd {} USER --role admin` adds one",
            args.dir.display(),
            args.dir.display()
        ));
    }
    drop(store);
    let keyring = crate::io::build_keyring(vec![args.dir.join("trust")])?;
    let options = Options { max_body: args.max_body, ..Options::default() };
    let state = ServerState::open(
        &args.dir.join(crate::store::DB),
        keyring,
        nlf::Catalog::builtin(),
        cluster,
        options,
    )
    .map_err(|e| Failure::Io(format!("{}: {e}", args.dir.display())))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Failure::Io(format!("listen on {}: {e}", args.listen)))?;
        let addr = listener.local_addr().map_err(|e| Failure::Io(e.to_string()))?;
        let shutdown = shutdown_signal()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        write_stdout(&format!("listening on {scheme}://{addr}"));
        let marker = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let _ = marker.advance_mark().await;
            }
        });
        let app = server::router(state);
        server::serve(listener, app, tls, ServeOptions::default(), shutdown)
            .await
            .map_err(|e| Failure::Io(format!("serve: {e}")))?;
        write_stderr("nlf: shut down");
        Ok(true)
    })
}

/// SIGTERM or Ctrl-C. The handlers are installed when this is called (before the server says
/// it is listening), so a signal sent as soon as it has said so is not missed.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, Failure> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())
            .map_err(|e| Failure::Io(format!("SIGTERM handler: {e}")))?;
        let mut int = signal(SignalKind::interrupt())
            .map_err(|e| Failure::Io(format!("SIGINT handler: {e}")))?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
