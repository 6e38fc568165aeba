//! Running the `nlf` binary's `passwd` and `serve` from tests (shared by the server tests).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `nlf passwd DIR USER --role ROLE` with `stdin` as its standard input; its output. A
/// refusal of the arguments may exit before reading: a broken pipe then is not a failure.
pub fn passwd(nlf: &str, dir: &Path, user: &str, role: &str, stdin: &str) -> Output {
    let mut child = Command::new(nlf)
        .arg("passwd")
        .arg(dir)
        .args([user, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

/// A running `nlf serve DIR --listen 127.0.0.1:0 ARGS...`, killed when dropped (also when the
/// test fails). Its standard output and error go to files in DIR, so a failure can show them.
pub struct Serve {
    /// The process.
    pub child: Child,
    /// What it said it listens on (`http://127.0.0.1:PORT` or `https://…`).
    pub url: String,
    log: PathBuf,
}

impl Serve {
    /// Start it, with `env_remove` taken out of its environment, and wait (up to a minute) for
    /// its `listening on URL` line.
    pub fn start(nlf: &str, dir: &Path, args: &[&str], env_remove: &[&str]) -> Serve {
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        let out = dir.join(format!("serve-{n}.stdout"));
        let log = dir.join(format!("serve-{n}.stderr"));
        let mut cmd = Command::new(nlf);
        cmd.arg("serve").arg(dir).args(["--listen", "127.0.0.1:0"]).args(args);
        for v in env_remove {
            cmd.env_remove(v);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Serve { child, url: String::new(), log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            if let Some(line) = text.lines().next().filter(|_| text.contains('\n')) {
                let url = line.strip_prefix("listening on ").unwrap_or_else(|| {
                    panic!("nlf serve's first line is {line:?}, not `listening on URL`")
                });
                server.url = url.to_owned();
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("nlf serve exited ({status}): {}", server.stderr());
            }
            assert!(Instant::now() < deadline, "nlf serve did not start: {}", server.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What it has written to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
