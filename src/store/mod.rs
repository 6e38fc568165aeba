//! The license store: a set of installed licenses and ONTAP's rules for changing it.
//!
//! ONTAP's licensing API is install (`POST /cluster/licensing/licenses`, `system license add`),
//! delete (`DELETE`, `system license delete`), clean-up (`system license clean-up`) and query
//! over a set of installed licenses. This module is that set and those rules, pure: a change is
//! *planned* against an [`InstalledSet`] at a given time and either gives the new set (and what
//! changed) or a [`Refusal`] that lists every reason, with ONTAP's error codes. Nothing here
//! reads a clock or a file; the durable store (feature `store`, [`Store`]) keeps the set in
//! SQLite and runs each plan in one transaction.
//!
//! # Rules ([`rules`])
//!
//! **Install** ([`plan_install`]) takes anything [`crate::read`] accepts: one request may hold
//! many keys and NLFs, and it is atomic (all of them are installed, or none). Each license is
//! read, verified and judged against the installed set and the cluster; every failing one is a
//! reason worded as ONTAP words it, "Failed to install the license at index N: …". Reasons:
//! 1115130 nothing given; the read and verify codes (1115159, 1115141, 1115142, 655294465 …);
//! 1115160 already expired (the term rule of [`crate::term`], with [`crate::Policy::leeway`]);
//! 1115134 a node license whose serial is no node of the cluster, 1115152 a cluster license for
//! another cluster (the binding rule of `evaluate`); 1115565 an NLFv2 whose serial number an
//! installed NLF of another identity already uses; 1115131 a 28-character key for a feature an
//! NLF with the same serial licenses (NetApp: "you cannot install a 28-character license key
//! over the NetApp license file for the same feature"); and, against an installed license of the
//! same identity ([`crate::identity`]):
//!
//! | the new license | result |
//! |---|---|
//! | the same (same signed content, any form or spelling) | accepted, nothing changes, reported as already installed (NetApp's Ansible module posts its licenses again on every run) |
//! | newer (a later `entitlementLastUpdated`, a key that grants more) | replaces the installed one; the audit log keeps the replaced text |
//! | older, NLFv2 | refused, 1115618 "a license with newer timestamp already exists" |
//! | older, key or NLFv1 | refused, 1115132 "License already exists on system" |
//! | neither newer (NLFs) | refused, 1115616 per license, 1115617 summary |
//!
//! Two licenses of one identity in one request (crate's rule): the same license twice is
//! installed once; two *different* licenses of one identity are both refused as an install
//! conflict (1115616), whichever is newer: a request is one intent, and one that holds two
//! versions of a license does not say which one it means. When a refused license is an NLFv2,
//! the summary is 1115562 "One or more errors occurred when installing a NLFv2 license", with a
//! 1115563 argument naming its packages and serial number.
//!
//! **Delete** ([`plan_delete`]) by package and serial number (`*`: every serial), or a whole
//! NLFv2 by `installed_license` (`*` matches any run of characters, case-insensitively, as in
//! `Core*Bundle`) and serial. Refused: 1115564 a package that is part of an NLFv2; 1115144 a
//! `cloud` license; 1115178 (FabricPool, a tier license) or 1115213 (others) a capacity license
//! whose removal leaves the cluster's use no longer fitting (judged with `evaluate` before and
//! after); and a target that matches nothing is ONTAP's own error, code 4, "entry doesn't
//! exist", which clients match on to treat a delete as already done.
//!
//! **Clean-up** ([`plan_clean_up`]) removes expired licenses and/or licenses whose every package
//! the cluster state reports as not in use (`in_use: false`); cloud licenses are never removed.
//! The store's simulate mode lists them without removing them.
//!
//! **Clock-rollback guard** ([`guard`]). The store keeps a high-water mark: the latest time it
//! judged or changed at, which only moves forward. A judgement or change asked for at a time
//! earlier than the mark minus [`crate::Policy::rollback_tolerance`] is made at the mark and
//! gets a `clock_rollback` finding, so setting the clock back never revives an expired license.
//!
//! **Audit log** ([`LogEntry`]): every install, delete and clean-up, refused ones too, with its
//! time, actor, request and outcome; the rules make the entries, the store only appends them.

pub mod rules;
#[cfg(feature = "store")]
mod sqlite;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};

use crate::catalog::Catalog;
use crate::error::Error;
use crate::expand::{expand, FeatureLicense};
use crate::identity::{Facts, LicenseId};
use crate::license::License;
use crate::limits::Limits;
use crate::trust::{Keyring, Verified};

pub use rules::{
    guard, judge, log_entry, plan_clean_up, plan_delete, plan_install, request_summary, CleanUp,
    CleanUpPlan, DeletePlan, DeleteTarget, Guarded, IndexOutcome, InstallPlan, Installation,
};
#[cfg(feature = "store")]
pub use sqlite::{
    CleanUpOutcome, DeleteOutcome, InstallOutcome, Loaded, Store, StoreError, StoredUser, Unusable,
    BUSY_TIMEOUT,
};

/// ONTAP's REST error code for a target that does not exist ("entry doesn't exist").
pub const ENTRY_DOES_NOT_EXIST: u32 = 4;

/// One installed license: the exact text it was given as, and what it proves.
///
/// Cloning is cheap (a reference count): sets of installed licenses are copied whole when a
/// change is planned and when the store is read, and a deep copy of every license's tree made
/// each install cost milliseconds once a store held a hundred licenses.
#[derive(Debug, Clone)]
pub struct Installed(std::sync::Arc<InstalledParts>);

/// What an [`Installed`] holds.
#[derive(Debug)]
struct InstalledParts {
    text: String,
    license: Verified<License<'static>>,
    facts: Facts,
    features: Vec<FeatureLicense>,
    installed_at: DateTime<Utc>,
}

impl Installed {
    /// A verified license given as `text`, installed at `installed_at`.
    pub fn new(
        text: String,
        license: Verified<License<'static>>,
        catalog: &Catalog,
        installed_at: DateTime<Utc>,
    ) -> Installed {
        let facts = Facts::of(&license, catalog);
        let label = facts.id.to_string();
        let features =
            expand(&license, catalog).into_iter().map(|f| f.from_input(label.as_str())).collect();
        Installed(std::sync::Arc::new(InstalledParts {
            text,
            license,
            facts,
            features,
            installed_at,
        }))
    }

    /// Read and verify a stored license text again (it must hold exactly one license).
    ///
    /// # Errors
    /// The read or verify error, or [`Error::UnrecognizedInput`] when the text holds more or
    /// fewer than one license.
    pub fn load(
        text: &str,
        keyring: &Keyring,
        catalog: &Catalog,
        limits: &Limits,
        installed_at: DateTime<Utc>,
    ) -> Result<Installed, Error> {
        let mut found = crate::input::read(text.as_bytes(), limits)?;
        if found.len() != 1 {
            return Err(Error::UnrecognizedInput {
                looked_like: "stored license text",
                reason: format!("it holds {} licenses, expected exactly one", found.len()),
            });
        }
        let license = match found.pop() {
            Some(f) => f.license?,
            None => return Err(Error::NoLicense { what: "the stored text is empty" }),
        };
        let verified = keyring.verify(license)?.into_owned();
        Ok(Installed::new(text.to_owned(), verified, catalog, installed_at))
    }

    /// The exact text the license was given as (unescaped when it came escaped).
    pub fn text(&self) -> &str {
        &self.0.text
    }
    /// The verified license.
    pub fn license(&self) -> &Verified<License<'static>> {
        &self.0.license
    }
    /// Its identity.
    pub fn id(&self) -> &LicenseId {
        &self.0.facts.id
    }
    /// Identity, content and what orders two licenses of one identity.
    pub fn facts(&self) -> &Facts {
        &self.0.facts
    }
    /// Its feature licenses, each labelled with the identity (as `input`).
    pub fn features(&self) -> &[FeatureLicense] {
        &self.0.features
    }
    /// When it was installed.
    pub fn installed_at(&self) -> DateTime<Utc> {
        self.0.installed_at
    }
    /// Whether it is an NLFv2.
    pub fn is_nlf_v2(&self) -> bool {
        matches!(&*self.0.license, License::Nlf(n) if n.version().number() == 2)
    }
    /// A short description: `NLFv2 "Core Bundle" serial 4212426890 (packages nfs, cifs)`.
    pub fn describe(&self) -> String {
        describe(&self.0.license, &self.0.features)
    }
}

fn describe(license: &License<'_>, features: &[FeatureLicense]) -> String {
    let packages: Vec<&str> = features.iter().map(FeatureLicense::package).collect();
    let packages = packages.join(", ");
    match license {
        License::Key(k) => {
            format!(
                "28-character key for {} serial {} (packages {packages})",
                k.package(),
                k.serial_number()
            )
        }
        License::Nlf(n) => format!(
            "NLFv{} \"{}\" serial {} (packages {packages})",
            n.version().number(),
            n.product(),
            n.serial_number()
        ),
    }
}

/// The installed licenses, one per identity, in identity order.
#[derive(Debug, Clone, Default)]
pub struct InstalledSet {
    by_id: BTreeMap<LicenseId, Installed>,
}

impl InstalledSet {
    /// An empty set.
    pub fn new() -> InstalledSet {
        InstalledSet::default()
    }

    /// A set of these licenses; of two with one identity the later one stays.
    pub fn from_licenses(licenses: impl IntoIterator<Item = Installed>) -> InstalledSet {
        let mut set = InstalledSet::new();
        for l in licenses {
            set.by_id.insert(l.id().clone(), l);
        }
        set
    }

    /// The installed licenses, in identity order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Installed> {
        self.by_id.values()
    }
    /// The installed license of an identity.
    pub fn get(&self, id: &LicenseId) -> Option<&Installed> {
        self.by_id.get(id)
    }
    /// How many licenses are installed.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }
    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
    /// Every feature license of every installed license: what [`crate::evaluate()`] judges.
    pub fn features(&self) -> Vec<FeatureLicense> {
        self.iter().flat_map(|l| l.features().iter().cloned()).collect()
    }
    /// Identity and exact text of each license, in identity order (to compare two sets).
    pub fn summary(&self) -> Vec<(LicenseId, String)> {
        self.iter().map(|l| (l.id().clone(), l.text().to_owned())).collect()
    }

    pub(crate) fn insert(&mut self, l: Installed) -> Option<Installed> {
        self.by_id.insert(l.id().clone(), l)
    }
    pub(crate) fn remove(&mut self, id: &LicenseId) -> Option<Installed> {
        self.by_id.remove(id)
    }
}

/// A refused change, in the shape of ONTAP's REST error body
/// (`{"error": {"message", "code", "target", "arguments": [{"code", "message"}]}}`: this is the
/// inner object). Codes serialize as strings of digits, as ONTAP writes them; absent parts are
/// omitted, never `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// What went wrong, for a person.
    pub message: String,
    /// The ONTAP error code (a summary code when there are several reasons).
    #[serde(serialize_with = "code_string", deserialize_with = "code_number")]
    pub code: u32,
    /// What the error is about (an index of the request, a package), when it is one thing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Every reason, one per argument (ONTAP's nested errors).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<Argument>,
}

/// One reason of a [`Refusal`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Argument {
    /// The ONTAP error code of this reason.
    #[serde(serialize_with = "code_string", deserialize_with = "code_number")]
    pub code: u32,
    /// The reason, as ONTAP words it ("Failed to install the license at index N: …").
    pub message: String,
}

fn code_string<S: Serializer>(code: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&code.to_string())
}

fn code_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

impl Refusal {
    /// A refusal with one reason.
    pub fn single(code: u32, message: impl Into<String>) -> Refusal {
        let message = message.into();
        Refusal {
            arguments: vec![Argument { code, message: message.clone() }],
            message,
            code,
            target: None,
        }
    }

    /// ONTAP's "entry doesn't exist" (code 4), for a delete that matches nothing.
    pub fn entry_does_not_exist(target: impl Into<String>) -> Refusal {
        Refusal {
            message: "entry doesn't exist".into(),
            code: ENTRY_DOES_NOT_EXIST,
            target: Some(target.into()),
            arguments: Vec::new(),
        }
    }

    /// The ONTAP error code.
    pub fn code(&self) -> u32 {
        self.code
    }

    /// The codes of every reason.
    pub fn codes(&self) -> Vec<u32> {
        self.arguments.iter().map(|a| a.code).collect()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)?;
        for a in &self.arguments {
            if a.message != self.message {
                write!(f, "\n  {} ({})", a.message, a.code)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

/// What kind of change a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An install.
    Install,
    /// A delete.
    Delete,
    /// A clean-up.
    CleanUp,
}

impl Action {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Install => "install",
            Action::Delete => "delete",
            Action::CleanUp => "clean_up",
        }
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// When (the time the change was made at, after the clock guard).
    pub at: DateTime<Utc>,
    /// Who asked.
    pub actor: String,
    /// What kind of change.
    pub action: Action,
    /// What was asked, summarized (an install request by size and SHA-256, a delete by target).
    pub request: String,
    /// What came of it.
    pub outcome: LogOutcome,
}

/// The outcome of a logged change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum LogOutcome {
    /// Done (possibly changing nothing).
    Done {
        /// What changed, license by license.
        changes: Vec<LogChange>,
        /// A clock set back, when the guard found one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock_rollback: Option<DateTime<Utc>>,
    },
    /// Refused, with every reason.
    Refused {
        /// The refusal.
        refusal: Refusal,
    },
}

/// One license changed by a logged change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogChange {
    /// `added`, `already_installed`, `replaced`, `deleted`, `cleaned_up` or `would_clean_up`.
    pub change: String,
    /// The license's identity.
    pub license: String,
    /// The exact text of a license that left the set (replaced, deleted, cleaned up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}
