//! Errors: one enum, every variant with a stable ONTAP error code and the place in the input.
//!
//! Callers branch on [`Error::code`] (the number ONTAP's REST API answers with) or on
//! [`Error::kind`] (a stable snake_case name); the `Display` text is for people and names the
//! field, the byte offset or the character position that is wrong and what was expected.

use std::fmt;

/// ONTAP error codes used by this crate (the `POST /cluster/licensing/licenses` table).
pub mod codes {
    /// Generic licensing error.
    pub const GENERIC: u32 = 1_115_117;
    /// Serial number does not belong to node.
    pub const SERIAL_NOT_NODE: u32 = 1_115_134;
    /// No license code was provided.
    pub const NO_LICENSE: u32 = 1_115_130;
    /// License data is invalid.
    pub const DATA_INVALID: u32 = 1_115_141;
    /// License signature is invalid.
    pub const SIGNATURE_INVALID: u32 = 1_115_142;
    /// License is not in an acceptable format.
    pub const NOT_ACCEPTABLE_FORMAT: u32 = 1_115_159;
    /// License has already expired.
    pub const ALREADY_EXPIRED: u32 = 1_115_160;
    /// Failed to extract license contents.
    pub const EXTRACT_FAILED: u32 = 655_294_464;
    /// License key is invalid.
    pub const KEY_INVALID: u32 = 655_294_465;
    /// Serial number is invalid.
    pub const SERIAL_INVALID: u32 = 655_294_466;
    /// Version number is invalid.
    pub const VERSION_INVALID: u32 = 655_294_467;
    /// License does not apply to the product.
    pub const UNKNOWN_PRODUCT: u32 = 655_294_470;
    /// License does not apply to the platform.
    pub const NOT_THIS_PLATFORM: u32 = 1_115_152;
    /// License already exists on system.
    pub const ALREADY_EXISTS: u32 = 1_115_132;
    /// Package details and serial number of license included in the install conflict.
    pub const INSTALL_CONFLICT: u32 = 1_115_616;
    /// NLFv2 license install failed with summary of conflicting licenses.
    pub const CONFLICT_SUMMARY: u32 = 1_115_617;
    /// NLFv2 license install failed as a license with newer timestamp already exists.
    pub const NEWER_EXISTS: u32 = 1_115_618;
    /// Installation of the license failed.
    pub const INSTALL_FAILED: u32 = 1_115_131;
    /// One or more errors occurred when installing a NLFv2 license.
    pub const NLF_V2_FAILED: u32 = 1_115_562;
    /// Package details and serial number of license contained within the NLFv2 failure.
    pub const NLF_V2_PACKAGE_FAILURE: u32 = 1_115_563;
    /// Package is part of a NLFv2 license and cannot be removed individually (DELETE).
    pub const PART_OF_NLF_V2: u32 = 1_115_564;
    /// NLFv2 install failed as the license serial number is already in use.
    pub const SERIAL_IN_USE: u32 = 1_115_565;
    /// Cloud licenses cannot be deleted (DELETE).
    pub const CLOUD_CANNOT_DELETE: u32 = 1_115_144;
    /// A tier license that is still in use cannot be deleted (DELETE).
    pub const TIER_IN_USE: u32 = 1_115_178;
    /// License is still in use and cannot be removed (DELETE).
    pub const LICENSE_IN_USE: u32 = 1_115_213;
}

/// Which limit of [`crate::Limits`] an input went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Bytes in one input or one document.
    Size,
    /// Nesting depth of arrays and objects.
    Depth,
    /// Bytes in one JSON string (after unescaping).
    StringLength,
    /// Packages in one NLF.
    Packages,
    /// Licenses (documents and keys) in one input.
    Documents,
    /// Members in one JSON object or elements in one array.
    Members,
    /// Packages and bundles in one catalog, counted together, or catalog members all told.
    CatalogEntries,
    /// Levels of bundles inside bundles in one catalog.
    BundleDepth,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Size => "size in bytes",
            Limit::Depth => "nesting depth",
            Limit::StringLength => "string length in bytes",
            Limit::Packages => "package count",
            Limit::Documents => "license count",
            Limit::Members => "members per object or array",
            Limit::CatalogEntries => "catalog entries",
            Limit::BundleDepth => "bundle nesting depth",
        })
    }
}

/// Everything that can go wrong reading, verifying or judging a license.
///
/// Every variant maps to a stable ONTAP error code ([`Error::code`]) and a stable name
/// ([`Error::kind`]). Offsets are 0-based byte offsets into the bytes handed to the call that
/// failed; key positions are 1-based character positions, as a person counts them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is none of the accepted forms (key, NLF, escaped NLF, REST body, NLF lines).
    #[error("not a license: the input looks like {looked_like}; {reason}")]
    UnrecognizedInput {
        /// The form the input resembled most.
        looked_like: &'static str,
        /// Why it is not that form.
        reason: String,
    },
    /// The input holds no license at all (empty, or only whitespace).
    #[error("no license was provided: {what}")]
    NoLicense {
        /// What the input held instead.
        what: &'static str,
    },
    /// The input went past one of the configured [`crate::Limits`].
    #[error("{}", limit_message(*.what, *.limit, *.found, *.offset))]
    LimitExceeded {
        /// Which limit.
        what: Limit,
        /// The configured limit.
        limit: usize,
        /// The value found (or the first value past the limit).
        found: usize,
        /// Byte offset where the limit was crossed.
        offset: usize,
    },
    /// The bytes are not valid JSON (RFC 8259, UTF-8).
    #[error("invalid JSON at byte {offset} (line {line}, column {column}): {reason}")]
    Json {
        /// Byte offset of the offending byte.
        offset: usize,
        /// 1-based line.
        line: usize,
        /// 1-based column, in bytes.
        column: usize,
        /// What was expected there.
        reason: String,
    },
    /// An object names the same member twice; a signed document must read one way only.
    #[error("duplicate member \"{name}\" in {path} at byte {offset}: each member may appear once")]
    DuplicateMember {
        /// The member name.
        name: String,
        /// Path of the object holding it, like `statusResp.licenses`.
        path: String,
        /// Byte offset of the second occurrence.
        offset: usize,
    },
    /// A required NLF member is absent.
    #[error("missing member {field}: {expected}")]
    MissingField {
        /// Path of the missing member, like `statusResp.serialNumber`.
        field: String,
        /// What should be there.
        expected: &'static str,
    },
    /// An NLF member has the wrong JSON type.
    #[error("{field} at byte {offset} is {found}, expected {expected}")]
    WrongType {
        /// Path of the member.
        field: String,
        /// Byte offset of its value.
        offset: usize,
        /// The JSON type found.
        found: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// An NLF member has a value outside what the format allows.
    #[error("{field} at byte {offset} is \"{value}\", expected {expected}")]
    InvalidValue {
        /// Path of the member.
        field: String,
        /// Byte offset of its value.
        offset: usize,
        /// The value found (truncated to 64 characters).
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A member is not allowed where it stands (outside `statusResp`, nothing is signed).
    #[error("unexpected member \"{name}\" at byte {offset}: {why}")]
    UnexpectedMember {
        /// The member name.
        name: String,
        /// Byte offset of the member name.
        offset: usize,
        /// Why it is refused.
        why: &'static str,
    },
    /// The NLF `version` (or the key's version field) is not one this crate reads.
    #[error("{field} is \"{found}\": this reader knows versions {known}")]
    UnsupportedVersion {
        /// Where the version came from.
        field: &'static str,
        /// The version found.
        found: String,
        /// The versions understood.
        known: &'static str,
    },
    /// A serial number or host id is empty or contains characters a serial cannot have.
    #[error("{field} \"{value}\" is not a serial number: {expected}")]
    InvalidSerial {
        /// Which member.
        field: String,
        /// The value found (truncated to 64 characters).
        value: String,
        /// What a serial looks like.
        expected: &'static str,
    },
    /// A run of letters that is not 28 long.
    #[error("license key has {found} characters, expected 28 letters (key starting at character {position})")]
    KeyLength {
        /// Number of characters found.
        found: usize,
        /// 1-based character position where the key starts.
        position: usize,
    },
    /// A character that is not a letter A-Z inside a key.
    #[error("license key character {position} is {}, expected a letter A-Z", show_char(*.found))]
    KeyCharacter {
        /// 1-based character position.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The unkeyed check failed: a letter is mistyped or two letters are swapped, or the text
    /// is not a key in this crate's format.
    #[error("license key check letters do not match: a letter is mistyped or two letters are swapped (compare the key letter by letter with the one issued), or this is not a key in this crate's format (keys issued by NetApp cannot be decoded offline)")]
    KeyTypo,
    /// The check letters (27 and 28) pass the unkeyed check but are not the pair the issuer
    /// chooses for the first 26 letters: a key has exactly one spelling, so this text differs
    /// from any issued key in at least two letters.
    #[error("license key check letters (characters 27 and 28) are not the ones the issuer chooses for the first 26 letters: a key has exactly one spelling, and this text differs from it in at least two letters (compare the key letter by letter with the one issued), or it is not a key in this crate's format (keys issued by NetApp cannot be decoded offline)")]
    KeyCheckLetters,
    /// The key is one letter 28 times, as in documentation examples.
    #[error("license key is the letter '{letter}' 28 times: that is a placeholder from documentation, not an issued key; use the key you were sent")]
    KeyPlaceholder {
        /// The repeated letter (upper case).
        letter: char,
    },
    /// The key decodes to a number no issuer can produce.
    #[error("license key is out of range: {reason}")]
    KeyOutOfRange {
        /// Which field is out of range.
        reason: &'static str,
    },
    /// The key names a package code this catalog does not know.
    #[error("license key names package code {code}, which no known package has")]
    UnknownPackage {
        /// The 8-bit package code.
        code: u8,
    },
    /// No key secret in the keyring proves this 28-character key (keyed check failed).
    #[error("license key was not issued by any trusted issuer: its keyed check matches none of the {secrets} key secret(s) in the keyring")]
    KeyNotIssued {
        /// Number of secrets tried.
        secrets: usize,
    },
    /// `Signature` is not standard padded base64 of exactly 64 bytes.
    #[error("Signature is not a 64-byte Ed25519 signature in standard padded base64: {reason}")]
    SignatureEncoding {
        /// What is wrong with the encoding.
        reason: String,
    },
    /// The signature does not verify under the trusted key(s).
    #[error("signature does not verify under {tried} trusted key(s){key_hint}: the license was changed after signing or was signed by an untrusted key")]
    SignatureInvalid {
        /// Number of keys tried.
        tried: usize,
        /// `" (keyId \"x\")"` when a key id selected the key, else empty.
        key_hint: String,
    },
    /// `statusResp.keyId` names a key the keyring does not hold.
    #[error("statusResp.keyId is \"{key_id}\", which is not in the keyring (known ids: {known})")]
    UnknownKeyId {
        /// The key id asked for.
        key_id: String,
        /// The ids the keyring has, comma-separated.
        known: String,
    },
    /// The keyring has no key of the kind this license needs.
    #[error("the keyring holds no {what}: add one with --trust or Keyring::insert_*")]
    NoTrust {
        /// What kind of trust material is missing.
        what: &'static str,
    },
    /// A trust file (public key, key secret, signing key) could not be read.
    #[error("trust material {name}: {reason}")]
    TrustMaterial {
        /// The name it was given (file name or id).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A package name in a catalog or license is unknown and the caller asked for strictness.
    #[error("package \"{name}\" is not in the catalog")]
    UnknownPackageName {
        /// The name.
        name: String,
    },
    /// A catalog's bundles refer to each other in a cycle.
    #[error("catalog bundle cycle: {path}")]
    BundleCycle {
        /// The cycle, like `A -> B -> A`.
        path: String,
    },
    /// A node-scoped license is bound to a serial no node of the cluster has.
    #[error("serial number {serial} does not belong to any node of the cluster")]
    SerialNotNode {
        /// The serial number.
        serial: String,
    },
    /// A value that the issuer was asked to encode does not fit the format.
    #[error("cannot issue: {reason}")]
    Issue {
        /// What does not fit.
        reason: String,
    },
    /// A [`crate::Policy`] setting is out of range.
    #[error("policy setting {setting}: {reason}")]
    InvalidPolicy {
        /// Which setting.
        setting: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// A vendor's API answered with an error instead of an inventory (ZStack's
    /// `{"error": {…}}` reply); nothing was licensed by it.
    #[error("{vendor} answered with error {code}: {message}")]
    VendorReply {
        /// Which vendor (`zstack`).
        vendor: &'static str,
        /// The vendor's error code, like `SYS.1001`.
        code: String,
        /// Its description, `(details)` when given, then `; caused by CODE: description` for
        /// each nested cause, outermost first (each part clipped to 64 characters).
        message: String,
    },
}

impl Error {
    /// The ONTAP error code for this error (stable across releases).
    pub fn code(&self) -> u32 {
        use codes::*;
        match self {
            Error::UnrecognizedInput { .. } | Error::LimitExceeded { .. } | Error::Json { .. } => {
                NOT_ACCEPTABLE_FORMAT
            }
            Error::NoLicense { .. } => NO_LICENSE,
            Error::DuplicateMember { .. }
            | Error::MissingField { .. }
            | Error::WrongType { .. }
            | Error::InvalidValue { .. }
            | Error::UnexpectedMember { .. } => DATA_INVALID,
            Error::UnsupportedVersion { .. } => VERSION_INVALID,
            Error::InvalidSerial { .. } => SERIAL_INVALID,
            Error::KeyLength { .. }
            | Error::KeyCharacter { .. }
            | Error::KeyTypo
            | Error::KeyCheckLetters
            | Error::KeyPlaceholder { .. }
            | Error::KeyOutOfRange { .. }
            | Error::KeyNotIssued { .. } => KEY_INVALID,
            Error::UnknownPackage { .. } | Error::UnknownPackageName { .. } => UNKNOWN_PRODUCT,
            Error::SignatureEncoding { .. }
            | Error::SignatureInvalid { .. }
            | Error::UnknownKeyId { .. } => SIGNATURE_INVALID,
            Error::NoTrust { .. } | Error::TrustMaterial { .. } | Error::BundleCycle { .. } => {
                GENERIC
            }
            Error::SerialNotNode { .. } => SERIAL_NOT_NODE,
            Error::Issue { .. } | Error::InvalidPolicy { .. } => GENERIC,
            Error::VendorReply { .. } => EXTRACT_FAILED,
        }
    }

    /// A stable snake_case name for the variant, for logs and JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::UnrecognizedInput { .. } => "unrecognized_input",
            Error::NoLicense { .. } => "no_license",
            Error::LimitExceeded { .. } => "limit_exceeded",
            Error::Json { .. } => "json",
            Error::DuplicateMember { .. } => "duplicate_member",
            Error::MissingField { .. } => "missing_field",
            Error::WrongType { .. } => "wrong_type",
            Error::InvalidValue { .. } => "invalid_value",
            Error::UnexpectedMember { .. } => "unexpected_member",
            Error::UnsupportedVersion { .. } => "unsupported_version",
            Error::InvalidSerial { .. } => "invalid_serial",
            Error::KeyLength { .. } => "key_length",
            Error::KeyCharacter { .. } => "key_character",
            Error::KeyTypo => "key_typo",
            Error::KeyCheckLetters => "key_check_letters",
            Error::KeyPlaceholder { .. } => "key_placeholder",
            Error::KeyOutOfRange { .. } => "key_out_of_range",
            Error::UnknownPackage { .. } => "unknown_package",
            Error::KeyNotIssued { .. } => "key_not_issued",
            Error::SignatureEncoding { .. } => "signature_encoding",
            Error::SignatureInvalid { .. } => "signature_invalid",
            Error::UnknownKeyId { .. } => "unknown_key_id",
            Error::NoTrust { .. } => "no_trust",
            Error::TrustMaterial { .. } => "trust_material",
            Error::UnknownPackageName { .. } => "unknown_package_name",
            Error::BundleCycle { .. } => "bundle_cycle",
            Error::SerialNotNode { .. } => "serial_not_node",
            Error::Issue { .. } => "issue",
            Error::InvalidPolicy { .. } => "invalid_policy",
            Error::VendorReply { .. } => "vendor_reply",
        }
    }

    /// Shift the character positions of key errors by `chars` (a key inside a larger input).
    pub(crate) fn position_by(mut self, chars: usize) -> Self {
        if let Error::KeyLength { position, .. } | Error::KeyCharacter { position, .. } = &mut self
        {
            *position += chars;
        }
        self
    }

    /// Shift every byte offset in the error by `base` (used when a document sits inside a larger
    /// input, such as one line of several or one element of a REST body).
    pub(crate) fn offset_by(mut self, base: usize) -> Self {
        match &mut self {
            Error::LimitExceeded { offset, .. }
            | Error::DuplicateMember { offset, .. }
            | Error::WrongType { offset, .. }
            | Error::InvalidValue { offset, .. }
            | Error::UnexpectedMember { offset, .. } => *offset += base,
            Error::Json { offset, .. } => *offset += base,
            _ => {}
        }
        self
    }
}

/// A character for a message: quoted if it can be seen, else its code point, so a no-break
/// space or a control character in a key is not shown as an empty pair of quotes.
fn show_char(c: char) -> String {
    let invisible = matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}');
    if c == ' ' {
        "' ' (a space)".to_owned()
    } else if c.is_whitespace() || c.is_control() || invisible {
        format!("U+{:04X} (an invisible character)", u32::from(c))
    } else {
        format!("'{c}'")
    }
}

/// The message of [`Error::LimitExceeded`], worded for the limit that was crossed.
fn limit_message(what: Limit, limit: usize, found: usize, offset: usize) -> String {
    match what {
        Limit::Depth => format!(
            "nested too deeply: depth {found} exceeds the limit of {limit} (at byte {offset})"
        ),
        Limit::Size => {
            format!("input too large: {found} bytes exceeds the limit of {limit} bytes")
        }
        Limit::StringLength => format!(
            "string too long: {found} bytes exceeds the limit of {limit} bytes (string at byte {offset})"
        ),
        Limit::Members => format!(
            "too many members: an object or array with {found} entries exceeds the limit of {limit} (at byte {offset})"
        ),
        Limit::Packages => format!(
            "too many packages: {found} exceeds the limit of {limit} (at byte {offset})"
        ),
        Limit::Documents => format!(
            "too many licenses: {found} exceeds the limit of {limit} in one input (at byte {offset})"
        ),
        Limit::CatalogEntries => format!(
            "catalog too large: {found} packages and bundles exceed the limit of {limit}"
        ),
        Limit::BundleDepth => format!(
            "bundles nested too deeply: a bundle {found} levels deep exceeds the limit of {limit}"
        ),
    }
}

/// Shorten a value quoted in an error message to at most 64 characters.
pub(crate) fn clip(value: &str) -> String {
    const MAX: usize = 64;
    match value.char_indices().nth(MAX) {
        None => value.to_owned(),
        Some((end, _)) => {
            let mut s = value.get(..end).unwrap_or_default().to_owned();
            s.push('…');
            s
        }
    }
}
