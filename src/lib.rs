//! `nlf` reads software licenses the way a storage cluster does.
//!
//! It finds the licenses in whatever a user pasted (28-character keys, NetApp License Files
//! version 1 and 2, NLFs with escaped quotes, ONTAP REST bodies, one NLF per line), parses them
//! strictly, and proves them against a [`Keyring`]: Ed25519 (`verify_strict`) over the RFC 8785
//! canonical form of `statusResp` for NLFs, a truncated HMAC-SHA256 for keys. Only a
//! [`Verified`] license goes on to the rest of the crate.
//!
//! The library is pure: no I/O, no global state, no clock. Time, cluster state and trust come
//! in as arguments. Every failure is an [`Error`] with a stable ONTAP error code
//! ([`Error::code`]) and a message that names the field, byte or character that is wrong.
//!
//! ```
//! # #[cfg(feature = "issuer")] {
//! use nlf::{Keyring, Limits, License};
//!
//! // An issuer signs a statusResp (done once, by whoever sells the license).
//! let issuer = nlf::issue::Issuer::from_seed(&[7; 32]);
//! let file = issuer.sign(r#"{"version":"1","serialNumber":"4149027342","product":"fabricpool",
//!     "licenses":{"package":"FabricPool","licenseScope":"cluster","capacity":"1"}}"#,
//!     &Limits::default())?;
//!
//! // A service trusts the issuer's public key ...
//! let mut keyring = Keyring::new();
//! keyring.insert_text("vendor", &issuer.public_key_base64())?;
//!
//! // ... and reads whatever the user pasted, re-indented or not.
//! for found in nlf::read(file.as_bytes(), &Limits::default())? {
//!     let verified = keyring.verify(found.license?)?;
//!     let License::Nlf(nlf) = &*verified else { unreachable!() };
//!     assert_eq!(nlf.capacity_bytes(), Some(1 << 40));
//!     assert_eq!(verified.signer(), "vendor");
//! }
//! # }
//! # Ok::<(), nlf::Error>(())
//! ```
//!
//! The stages, in the order data flows: [`read`] (input detection) and the readers
//! ([`key28`], [`nlf`], [`json`]); [`trust`] (proof); [`expand`] with the [`catalog`]; [`evaluate()`]
//! (compliance, with [`identity`], [`serial`] and [`term`]) into a [`report`]. Beside them:
//! [`store`] (installed licenses under ONTAP's install, delete and clean-up rules; durable in
//! SQLite with feature `store`), [`vendor`] (NTT ECL, ZStack and NVIDIA inventories judged by the
//! same term rules) and, with feature `server`, `server`: ONTAP's licensing REST API over the
//! store (an `axum` router, an HTTPS listener, users with Argon2id passwords). The library
//! proper stays pure; only the `store` and `server` features touch disk, network and clock.
//!
//! Formats: `docs/key28.md` (28-character keys) and `docs/nlf-signature.md` (NLF signatures)
//! in the repository are normative.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Bad input must give an error, never a panic: these lints hold in library code (tests may use them).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod canonical;
pub mod catalog;
mod cluster;
pub mod error;
pub mod evaluate;
mod expand;
pub mod identity;
mod input;
#[cfg(feature = "issuer")]
pub mod issue;
pub mod json;
pub mod key28;
mod license;
mod limits;
pub mod nlf;
pub mod report;
mod scope;
pub mod serial;
#[cfg(feature = "server")]
pub mod server;
pub mod store;
pub mod term;
pub mod trust;
pub mod vendor;

pub use catalog::Catalog;
pub use cluster::{ClusterState, NodeState, Usage};
pub use error::{Error, Limit};
pub use evaluate::{
    evaluate, evaluate_unverified, Assessment, Finding, FindingKind, LicensedMethod, PackageStatus,
    Policy, ShowStatus,
};
pub use expand::{expand, expand_unverified, FeatureLicense, Origin};
pub use identity::LicenseId;
pub use input::{read, Form, Found};
pub use key28::Key;
pub use license::License;
pub use limits::Limits;
pub use nlf::{Nlf, NlfVersion};
pub use report::Report;
pub use scope::Scope;
pub use trust::{Keyring, Unverified, Verified};

/// The date and time types of the API (`DateTime<Utc>`, `TimeDelta`) come from this version of
/// `chrono`.
pub use chrono;
