//! Users, passwords and who may do what.
//!
//! Requests authenticate with HTTP Basic against the users of the store (`nlf passwd`). A
//! password is kept only as an Argon2id hash (RFC 9106, PHC string, the `argon2` crate's
//! defaults: 19 MiB, 2 passes, 1 lane). Checking a hash costs tens of milliseconds by design,
//! so a successful check is remembered for the life of the process, keyed by an HMAC-SHA256
//! of user, password and stored hash under a random per-process key (a changed password or
//! role misses and is checked again); at most [`MAX_HASHING`] hashes are checked at once.
//!
//! Failed logins are limited per client address: each address has [`FAILURE_BURST`] tries,
//! given back one every [`FAILURE_REFILL`]; an address with none left gets 429 with
//! `Retry-After` and its password is not checked at all (so a flood costs no hashing).
//! `readonly` may `GET`; `admin` may also `POST` and `DELETE`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Tries an address has before failed logins are refused unchecked.
pub const FAILURE_BURST: u32 = 10;
/// How often one try is given back.
pub const FAILURE_REFILL: Duration = Duration::from_secs(6);
/// How many password hashes are checked at once (each takes 19 MiB).
pub const MAX_HASHING: usize = 2;
/// How many addresses the failure table remembers.
const MAX_ADDRESSES: usize = 4096;
/// How many successful checks are remembered.
const MAX_REMEMBERED: usize = 4096;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// May read and change.
    Admin,
    /// May read.
    Readonly,
}

impl Role {
    /// `admin` or `readonly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Readonly => "readonly",
        }
    }

    /// The role named `text`.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "readonly" => Some(Role::Readonly),
            _ => None,
        }
    }
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Empty, too long, or with a control character.
    #[error("{0}")]
    Unacceptable(&'static str),
    /// The operating system gave no random salt.
    #[error("no random salt: {0}")]
    Random(String),
    /// The hasher failed.
    #[error("hashing: {0}")]
    Hash(String),
}

/// The longest password accepted, in bytes.
pub const MAX_PASSWORD: usize = 1024;

/// Hash a password with Argon2id and a random salt, as a PHC string.
///
/// # Errors
/// [`PasswordError`]: an empty or over-long password, one with control characters, or no
/// random source.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.is_empty() {
        return Err(PasswordError::Unacceptable("the password is empty"));
    }
    if password.len() > MAX_PASSWORD {
        return Err(PasswordError::Unacceptable("the password is longer than 1024 bytes"));
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordError::Unacceptable("the password has a control character"));
    }
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash` (false for a hash that does not parse).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// User and password of a `Basic` authorization header.
pub(crate) fn basic(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

struct Bucket {
    tries: u32,
    since: Instant,
}

/// The failure table and the memory of successful checks.
pub(crate) struct Guard {
    key: [u8; 32],
    remembered: Mutex<HashMap<[u8; 32], ()>>,
    failures: Mutex<HashMap<IpAddr, Bucket>>,
    pub(crate) hashing: tokio::sync::Semaphore,
    /// A hash checked for unknown users, so that they cost what known ones do.
    pub(crate) decoy: String,
}

impl Guard {
    pub(crate) fn new() -> Result<Guard, PasswordError> {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|e| PasswordError::Random(e.to_string()))?;
        Ok(Guard {
            key,
            remembered: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            hashing: tokio::sync::Semaphore::new(MAX_HASHING),
            decoy: hash_password("decoy password, never a user's")?,
        })
    }

    fn tag(&self, user: &str, password: &str, hash: &str) -> [u8; 32] {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            // An HMAC takes a key of any length; this arm is never taken.
            Err(_) => return [0; 32],
        };
        for part in [user, password, hash] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    pub(crate) fn remembered(&self, user: &str, password: &str, hash: &str) -> bool {
        let tag = self.tag(user, password, hash);
        self.remembered.lock().is_ok_and(|m| m.contains_key(&tag))
    }

    pub(crate) fn remember(&self, user: &str, password: &str, hash: &str) {
        let tag = self.tag(user, password, hash);
        if let Ok(mut m) = self.remembered.lock() {
            if m.len() >= MAX_REMEMBERED {
                m.clear();
            }
            m.insert(tag, ());
        }
    }

    /// Seconds until the address may try again, when it has no tries left.
    pub(crate) fn locked_out(&self, addr: IpAddr, now: Instant) -> Option<u64> {
        let mut table = self.failures.lock().ok()?;
        let bucket = table.get_mut(&addr)?;
        refill(bucket, now);
        (bucket.tries == 0).then(|| {
            let waited = now.saturating_duration_since(bucket.since);
            FAILURE_REFILL.saturating_sub(waited).as_secs().max(1)
        })
    }

    /// Take one try from the address.
    pub(crate) fn failed(&self, addr: IpAddr, now: Instant) {
        let Ok(mut table) = self.failures.lock() else { return };
        if table.len() >= MAX_ADDRESSES && !table.contains_key(&addr) {
            table.retain(|_, b| {
                refill(b, now);
                b.tries < FAILURE_BURST
            });
            if table.len() >= MAX_ADDRESSES {
                table.clear();
            }
        }
        let bucket = table.entry(addr).or_insert(Bucket { tries: FAILURE_BURST, since: now });
        refill(bucket, now);
        if bucket.tries == FAILURE_BURST {
            bucket.since = now;
        }
        bucket.tries = bucket.tries.saturating_sub(1);
    }
}

fn refill(b: &mut Bucket, now: Instant) {
    let refill_ms = FAILURE_REFILL.as_millis().max(1);
    let earned = now.saturating_duration_since(b.since).as_millis() / refill_ms;
    if earned > 0 {
        let earned = u32::try_from(earned).unwrap_or(u32::MAX);
        b.tries = b.tries.saturating_add(earned).min(FAILURE_BURST);
        b.since += FAILURE_REFILL * earned;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_headers_decode() {
        assert_eq!(basic("Basic YWRtaW46cHc6eA=="), Some(("admin".into(), "pw:x".into())));
        assert_eq!(basic("Bearer abc"), None);
        assert_eq!(basic("Basic !!!"), None);
    }

    #[test]
    fn an_address_runs_out_of_tries_and_gets_them_back() {
        let g = Guard::new().unwrap();
        let a: IpAddr = [10, 0, 0, 1].into();
        let t0 = Instant::now();
        for _ in 0..FAILURE_BURST {
            assert_eq!(g.locked_out(a, t0), None);
            g.failed(a, t0);
        }
        assert!(g.locked_out(a, t0).is_some());
        assert_eq!(g.locked_out([10, 0, 0, 2].into(), t0), None, "other addresses are not");
        assert_eq!(g.locked_out(a, t0 + FAILURE_REFILL), None, "one try came back");
    }

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash_password("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("s3cret ", &h));
        assert!(!verify_password("s3cret", "not a hash"));
        assert!(hash_password("").is_err());
        assert!(hash_password("a\nb").is_err());
    }
}
