//! 28-character license keys: layout, decoding and the two checks.
//!
//! A key is 28 letters A-Z. The first 26 are a base-26 number, most significant letter first,
//! holding a 122-bit payload; the last two are check letters. The normative specification, with
//! a worked example that the tests reproduce, is `docs/key28.md`.
//!
//! Two checks guard a key, and they answer different questions:
//!
//! * The **unkeyed check** (a weighted sum mod 29) asks "was this typed correctly?". Anyone can
//!   compute it, and it catches every single mistyped letter and every swap of two neighbouring
//!   letters. It runs before any field is decoded, so a typo is reported as
//!   [`Error::KeyTypo`] and never as a confusing range or package error.
//! * The **keyed check** (48 bits of HMAC-SHA256 over the other 74 payload bits) asks "did a
//!   trusted issuer make this?". [`Key::parse`] does not run it, since it needs a secret;
//!   [`Key::verify_mac`] does, comparing in constant time.
//!
//! Decoding allocates nothing on success: the letters live in a `[u8; 28]`, the payload in a
//! `u128`, and the fields are read from the payload on demand. Only errors that carry text
//! (the unsupported version) allocate.
//!
//! ```
//! use nlf::key28::Key;
//! use nlf::Scope;
//!
//! let key: Key = "dnyeeiheqdelslslemxrckusngcy".parse()?;
//! assert_eq!(key.as_str(), "DNYEEIHEQDELSLSLEMXRCKUSNGCY");
//! assert_eq!(key.scope(), Scope::Cluster);
//! assert_eq!(key.package(), "SnapMirror");
//! assert_eq!(key.serial_number(), 951_842_000_117);
//! assert!(key.verify_mac(b"key28 worked-example secret 2024"));
//! assert!(!key.verify_mac(b"some other secret of 32 bytes..."));
//! # Ok::<(), nlf::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{Error, Scope};

/// Letters in a key.
pub const KEY_LEN: usize = 28;

/// The shortest key secret [`Key::verify_mac`] accepts (and the issuer uses).
pub const MIN_SECRET_LEN: usize = 16;

/// Letters that carry the payload; the two after them are check letters.
const PAYLOAD_LETTERS: usize = 26;

/// The unkeyed check works mod this prime: it exceeds every weight (1..=28) and every
/// difference of two letter values (at most 25), which is what makes detection certain.
const CHECK_MODULUS: u32 = 29;

/// Width of the payload; 26^26 > 2^122, so some letter strings encode more and are refused.
const PAYLOAD_BITS: u32 = 122;

/// Domain separation for the keyed check, so a key secret reused elsewhere cannot be made to
/// sign key payloads (or the reverse).
const MAC_CONTEXT: &[u8] = b"nlf-key-v1\n";

/// Bytes of HMAC-SHA256 output kept in the key (the `MAC_FIELD` is this many bytes wide).
const MAC_LEN: usize = 6;

/// Bytes of the big-endian encoding of the 74 MAC-covered payload bits.
const SIGNED_LEN: usize = 10;

/// The only key version.
const VERSION: u8 = 1;

/// Serial numbers have at most 12 decimal digits; the 40-bit field could hold more.
const SERIAL_LIMIT: u64 = 1_000_000_000_000;

/// Day 0 of the expiry field. `from_ymd_opt` is `const` and 2000-01-01 exists, so the `MIN`
/// arm is never taken; it only spares a panic path.
const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// A bit field of the payload: `bits` wide, its least significant bit at `shift`.
#[derive(Clone, Copy)]
struct Field {
    shift: u32,
    bits: u32,
}

impl Field {
    const fn mask(self) -> u128 {
        (1 << self.bits) - 1
    }

    /// The field's value. Every field is at most 48 bits wide, so the cast is exact.
    const fn get(self, payload: u128) -> u64 {
        ((payload >> self.shift) & self.mask()) as u64
    }

    /// `value` moved into place (the caller has checked that it fits).
    #[cfg(any(feature = "issuer", test))]
    const fn put(self, value: u64) -> u128 {
        (value as u128 & self.mask()) << self.shift
    }
}

// The payload layout, most significant field first (see docs/key28.md, "Payload").
const VERSION_FIELD: Field = Field { shift: 119, bits: 3 };
const SCOPE_FIELD: Field = Field { shift: 117, bits: 2 };
const PACKAGE_FIELD: Field = Field { shift: 109, bits: 8 };
const SERIAL_FIELD: Field = Field { shift: 69, bits: 40 };
const EXPIRY_FIELD: Field = Field { shift: 53, bits: 16 };
const EVALUATION_FIELD: Field = Field { shift: 52, bits: 1 };
const RESERVED_FIELD: Field = Field { shift: 48, bits: 4 };
const MAC_FIELD: Field = Field { shift: 0, bits: 48 };

// The fields tile the 122 bits with no gap or overlap, and the MAC is whole bytes.
const _: () = {
    let order = [
        VERSION_FIELD,
        SCOPE_FIELD,
        PACKAGE_FIELD,
        SERIAL_FIELD,
        EXPIRY_FIELD,
        EVALUATION_FIELD,
        RESERVED_FIELD,
        MAC_FIELD,
    ];
    let mut top = PAYLOAD_BITS;
    let mut rest: &[Field] = &order;
    while let [f, tail @ ..] = rest {
        assert!(f.shift + f.bits == top);
        top = f.shift;
        rest = tail;
    }
    assert!(top == 0);
    assert!(MAC_FIELD.bits as usize == MAC_LEN * 8);
    assert!((PAYLOAD_BITS - MAC_FIELD.bits) as usize <= SIGNED_LEN * 8);
};

/// Package codes 1..=26, in order, with their NLF package names.
const PACKAGES: [&str; 26] = [
    "NFS",
    "CIFS",
    "iSCSI",
    "FCP",
    "NVMe_oF",
    "S3",
    "FlexClone",
    "SnapRestore",
    "SnapMirror",
    "SnapMirror_Sync",
    "SnapManagerSuite",
    "SnapVault",
    "S3_SnapMirror",
    "VE",
    "TPM",
    "SnapLock",
    "Anti_ransomware",
    "MT_EK_MGMT",
    "FabricPool",
    "FlexCache",
    "Cloud",
    "CDMI",
    "SnapProtectApps",
    "V_StorageAttach",
    "Base",
    "SnapMirror_Cloud",
];

/// The NLF package name for a key's 8-bit package code, or `None` if no package has it
/// (code 0 is never assigned).
#[must_use]
pub fn package_name(code: u8) -> Option<&'static str> {
    code.checked_sub(1).and_then(|i| PACKAGES.get(usize::from(i))).copied()
}

/// The package code for a package name, spelled as in NLFs or as the catalog accepts it:
/// ASCII case is ignored and `' '`, `'-'` and `'_'` are the same character
/// ([`crate::catalog::same_name`]), so `NVMe_oF`, `NVMe-oF` and `nvme of` all give 5.
#[must_use]
pub fn package_code(name: &str) -> Option<u8> {
    let index = PACKAGES.iter().position(|p| crate::catalog::same_name(p, name))?;
    u8::try_from(index + 1).ok()
}

/// Whether `c` is whitespace that may surround a key: ASCII space, tab, CR, LF and FF, exactly
/// the set docs/key28.md §1 allows. Vertical tab, U+0085, U+00A0, U+2003, U+3000 and every other
/// Unicode space are not: they are characters of the key (and so an error).
#[must_use]
pub fn is_key_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0C')
}

/// `text` without the leading and trailing [key whitespace](is_key_whitespace).
#[must_use]
pub fn trim_key_whitespace(text: &str) -> &str {
    text.trim_matches(is_key_whitespace)
}

/// The number in a serial number's text, for [`KeyFields::serial_number`]: 1 to 12 ASCII
/// digits, leading zeros allowed (`000000000042` is 42).
///
/// A key carries its serial number as a number, so it cannot keep leading zeros or any other
/// character; docs/key28.md §2 says how a key's serial compares to a serial's text (by numeric
/// value, leading zeros ignored; text with anything but digits never matches a key).
///
/// # Errors
/// [`Error::Issue`] for an empty text, a character that is not a digit (ONTAP-style serials
/// such as `1-80-000011` need an NLF), or more than 12 digits.
///
/// ```
/// assert_eq!(nlf::key28::serial_from_text("000000000042")?, 42);
/// assert!(nlf::key28::serial_from_text("1-80-000011").is_err());
/// # Ok::<(), nlf::Error>(())
/// ```
pub fn serial_from_text(text: &str) -> Result<u64, Error> {
    let refuse = |reason: String| Err(Error::Issue { reason });
    if text.is_empty() {
        return refuse(
            "the serial number is empty; a 28-character key carries 1 to 12 decimal digits".into(),
        );
    }
    if let Some((position, c)) = (1usize..).zip(text.chars()).find(|(_, c)| !c.is_ascii_digit()) {
        let shown = crate::error::clip(text);
        return if text.chars().all(|c| c.is_ascii_digit() || c == '-') {
            refuse(format!(
                "serial number \"{shown}\" has dashes: a 28-character key carries a serial of at \
                 most 12 digits; ONTAP-style serials such as 1-80-000011 need an NLF"
            ))
        } else {
            refuse(format!(
                "serial number \"{shown}\" has {c:?} at character {position}: a 28-character key \
                 carries only a serial of 1 to 12 decimal digits; other serials need an NLF"
            ))
        };
    }
    // All ASCII digits, so bytes are characters.
    if text.len() > 12 {
        return refuse(format!(
            "serial number {} has {} digits: a 28-character key carries a serial of at most 12 digits",
            crate::error::clip(text),
            text.len()
        ));
    }
    // At most 12 digits: below 10^12, so parsing cannot fail or overflow.
    text.parse::<u64>().or_else(|e| refuse(format!("serial number {text}: {e}")))
}

/// A decoded 28-character license key that passed the unkeyed check and whose fields are all
/// in range. Whether a trusted issuer made it is a separate question: [`Key::verify_mac`].
///
/// A key has exactly one spelling (upper or lower case aside): decoding refuses check letters
/// other than the ones the issuer chooses. Equality and hashing compare the payload, which is
/// the same thing as comparing the normalized letters.
#[derive(Clone, Copy)]
pub struct Key {
    /// The normalized letters, upper case ASCII.
    letters: [u8; KEY_LEN],
    /// The 122-bit payload the first 26 letters encode; fields are read from it on demand.
    payload: u128,
}

/// The fields an issuer puts in a key (version and MAC are not chosen by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyFields {
    /// Where the license applies.
    pub scope: Scope,
    /// The 8-bit package code; see [`package_name`].
    pub package_code: u8,
    /// The serial number the license is bound to, below 10^12 (at most 12 digits).
    pub serial_number: u64,
    /// The last day the license is valid, or `None` for a license that does not expire.
    /// Issuable dates run from 2000-01-02 to 2179-06-06 (day 65535).
    pub expiry: Option<NaiveDate>,
    /// Whether this is an evaluation license.
    pub evaluation: bool,
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.payload == other.payload
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.payload.hash(state);
    }
}

impl KeyFields {
    /// Fields for a license of the package named `package` (any spelling [`package_code`]
    /// accepts), bound to `serial_number`, with no expiry and not an evaluation; set `expiry`
    /// and `evaluation` on the result if needed.
    ///
    /// ```
    /// use nlf::key28::KeyFields;
    /// let fields = KeyFields::for_package("NVMe-oF", nlf::Scope::Node, 4212426890)?;
    /// assert_eq!(fields.package_code, 5);
    /// # Ok::<(), nlf::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Issue`] naming the packages a key can carry, if no package has that name.
    pub fn for_package(
        package: &str,
        scope: Scope,
        serial_number: u64,
    ) -> Result<KeyFields, Error> {
        let Some(package_code) = package_code(package) else {
            return Err(Error::Issue {
                reason: format!(
                    "package \"{}\" has no key code; a 28-character key can carry {}",
                    crate::error::clip(package),
                    PACKAGES.join(", ")
                ),
            });
        };
        Ok(KeyFields { scope, package_code, serial_number, expiry: None, evaluation: false })
    }
}

impl Key {
    /// Decode a key, checking in this order so that a typo is reported as a typo:
    /// length, characters, a placeholder (one letter 28 times), the unkeyed check, the check
    /// letters the issuer chooses, ranges and reserved bits, version, package.
    ///
    /// Leading and trailing [key whitespace](is_key_whitespace) (ASCII space, tab, CR, LF, FF)
    /// is ignored and lower case is accepted; nothing else is (no dashes or spaces between
    /// letters, no other Unicode spaces). Positions in errors are 1-based and count characters
    /// of the trimmed key. The keyed check is not run here: call [`Key::verify_mac`].
    ///
    /// # Errors
    /// [`Error::KeyLength`] if the trimmed text is not 28 characters, [`Error::KeyCharacter`]
    /// for a character that is not a letter, [`Error::KeyPlaceholder`] for one letter repeated
    /// 28 times, [`Error::KeyTypo`] if the unkeyed check fails, [`Error::KeyCheckLetters`] if
    /// the check letters pass it but are not the pair the issuer chooses (a key has one
    /// spelling), [`Error::KeyOutOfRange`] for a payload of 122 bits or more, a serial number
    /// of 13 digits or set reserved bits, [`Error::UnsupportedVersion`] for a version other
    /// than 1 and [`Error::UnknownPackage`] for an unassigned package code.
    pub fn parse(text: &str) -> Result<Key, Error> {
        let text = trim_key_whitespace(text);
        // Fast path: 28 ASCII letters, validated, normalized, summed and accumulated in one pass.
        if let Ok(bytes) = <&[u8; KEY_LEN]>::try_from(text.as_bytes()) {
            if let Some(decoded) = Key::one_pass(bytes) {
                return decoded;
            }
        }
        // Slow path: find what is wrong, counting characters as a person does.
        let found = text.chars().count();
        if found != KEY_LEN {
            return Err(Error::KeyLength { found, position: 1 });
        }
        let mut letters = [0u8; KEY_LEN];
        for (position, (slot, c)) in (1..).zip(letters.iter_mut().zip(text.chars())) {
            match u8::try_from(c) {
                Ok(b) if b.is_ascii_alphabetic() => *slot = b.to_ascii_uppercase(),
                _ => return Err(Error::KeyCharacter { position, found: c }),
            }
        }
        Key::from_letters(letters)
    }

    /// Steps 3-8 of decoding, on letters already known to be `A-Z`: [`Key::one_pass`], which
    /// gives `Some` for them (the `KeyTypo` fallback is never taken).
    fn from_letters(letters: [u8; KEY_LEN]) -> Result<Key, Error> {
        Key::one_pass(&letters).unwrap_or(Err(Error::KeyTypo))
    }

    /// Steps 1-8 for 28 bytes in one pass; `None` when a byte is not a letter (the slow path
    /// then finds which one).
    fn one_pass(bytes: &[u8; KEY_LEN]) -> Option<Result<Key, Error>> {
        const HALF: u32 = PAYLOAD_LETTERS as u32 / 2;
        let mut letters = [0u8; KEY_LEN];
        let (mut sum, mut high, mut low, mut bad) = (0u32, 0u64, 0u64, false);
        for (i, (&b, slot)) in (0u32..).zip(bytes.iter().zip(letters.iter_mut())) {
            // Setting bit 5 maps A-Z to a-z and leaves a-z; anything else lands outside a-z.
            let v = (b | 0x20).wrapping_sub(b'a');
            bad |= v >= 26;
            *slot = v.wrapping_add(b'A');
            sum = sum.wrapping_add((i + 1) * u32::from(v));
            // Wrapping only matters for input already marked bad.
            // Two 13-letter halves in u64 (26^13 < 2^62): two short dependency chains instead
            // of one long chain of u128 multiplications.
            if i < HALF {
                high = high.wrapping_mul(26).wrapping_add(u64::from(v));
            } else if i < 2 * HALF {
                low = low.wrapping_mul(26).wrapping_add(u64::from(v));
            }
        }
        (!bad).then(|| {
            // No issued key is one letter 28 times (only A…A passes the check letters, and it
            // has version 0), so looking for a placeholder on the error path alone gives the
            // same answer as checking it first, at no cost to a good key.
            Key::from_parts(letters, sum, high, low).map_err(|e| match letters {
                [first, rest @ ..] if rest.iter().all(|l| l == &first) => {
                    Error::KeyPlaceholder { letter: char::from(first) }
                }
                _ => e,
            })
        })
    }

    /// Steps 4-8 from the letters (`A-Z`), their weighted sum and the two payload halves.
    fn from_parts(letters: [u8; KEY_LEN], sum: u32, high: u64, low: u64) -> Result<Key, Error> {
        if sum % CHECK_MODULUS != 0 {
            return Err(Error::KeyTypo);
        }
        let [.., c27, c28] = letters;
        let (v27, v28) = (u32::from(c27.wrapping_sub(b'A')), u32::from(c28.wrapping_sub(b'A')));
        // sum = S + 27·v27 + 28·v28 exactly (no wrapping for letters), so this is S.
        let payload_sum = sum.wrapping_sub(27 * v27 + 28 * v28);
        if check_pair(payload_sum) != (v27, v28) {
            return Err(Error::KeyCheckLetters);
        }
        // 26^26 - 1 < 2^123 < u128::MAX, so nothing overflows.
        let payload = u128::from(high) * u128::from(26u64.pow(13)) + u128::from(low);
        if payload >> PAYLOAD_BITS != 0 {
            return Err(Error::KeyOutOfRange {
                reason: "the 26 payload letters encode a number of 122 bits or more",
            });
        }
        if SERIAL_FIELD.get(payload) >= SERIAL_LIMIT {
            return Err(Error::KeyOutOfRange {
                reason: "the serial number field is 10^12 or more (serial numbers have at most 12 digits)",
            });
        }
        if RESERVED_FIELD.get(payload) != 0 {
            return Err(Error::KeyOutOfRange { reason: "reserved bits are set" });
        }
        let version = VERSION_FIELD.get(payload);
        if version != u64::from(VERSION) {
            return Err(Error::UnsupportedVersion {
                field: "key version",
                found: version.to_string(),
                known: "1",
            });
        }
        let key = Key { letters, payload };
        if package_name(key.package_code()).is_none() {
            return Err(Error::UnknownPackage { code: key.package_code() });
        }
        Ok(key)
    }

    /// The normalized key: 28 upper case letters.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // The letters are ASCII by construction, so the fallback is never taken.
        std::str::from_utf8(&self.letters).unwrap_or("")
    }

    /// The key format version (always 1 for a key that parsed).
    #[must_use]
    pub fn version(&self) -> u8 {
        // A 3-bit field: the cast is exact.
        VERSION_FIELD.get(self.payload) as u8
    }

    /// Where the license applies.
    #[must_use]
    pub fn scope(&self) -> Scope {
        match SCOPE_FIELD.get(self.payload) {
            0 => Scope::Node,
            1 => Scope::Cluster,
            2 => Scope::Site,
            _ => Scope::Demo,
        }
    }

    /// The 8-bit package code (one [`package_name`] knows, for a key that parsed).
    #[must_use]
    pub fn package_code(&self) -> u8 {
        // An 8-bit field: the cast is exact.
        PACKAGE_FIELD.get(self.payload) as u8
    }

    /// The NLF spelling of the package name, like `SnapMirror_Sync`.
    #[must_use]
    pub fn package(&self) -> &'static str {
        // Parsing refused unknown codes, so the fallback is never taken.
        package_name(self.package_code()).unwrap_or("")
    }

    /// The serial number the license is bound to (below 10^12). It is a plain number:
    /// format it with `{:012}` if 12 digits with leading zeros are wanted.
    #[must_use]
    pub fn serial_number(&self) -> u64 {
        SERIAL_FIELD.get(self.payload)
    }

    /// The last day the license is valid, or `None` if it does not expire.
    #[must_use]
    pub fn expiry(&self) -> Option<NaiveDate> {
        match EXPIRY_FIELD.get(self.payload) {
            0 => None,
            days => EPOCH.checked_add_days(Days::new(days)),
        }
    }

    /// Whether this is an evaluation license.
    #[must_use]
    pub fn evaluation(&self) -> bool {
        EVALUATION_FIELD.get(self.payload) == 1
    }

    /// All issuer-chosen fields at once.
    #[must_use]
    pub fn fields(&self) -> KeyFields {
        KeyFields {
            scope: self.scope(),
            package_code: self.package_code(),
            serial_number: self.serial_number(),
            expiry: self.expiry(),
            evaluation: self.evaluation(),
        }
    }

    /// The keyed check: whether the issuer holding `secret` made this key.
    ///
    /// Recomputes HMAC-SHA256 over the 74 non-MAC payload bits and compares its first 6 bytes
    /// with the key's MAC in constant time. Secrets shorter than [`MIN_SECRET_LEN`] bytes are
    /// refused (the answer is `false`): no issuer uses one, and an empty or tiny secret in a
    /// configuration is a mistake that must not make keys verify.
    #[must_use]
    pub fn verify_mac(&self, secret: &[u8]) -> bool {
        let Some(mac) = keyed_mac(secret, self.payload) else {
            return false;
        };
        let bytes = self.payload.to_be_bytes();
        let Some((_, tag)) = bytes.split_last_chunk::<MAC_LEN>() else {
            return false;
        };
        mac.verify_truncated_left(tag).is_ok()
    }
}

/// Σ i·v_i over 1-based positions i. At most 28·25·28 = 19600, so `u32` is plenty.
#[cfg(any(feature = "issuer", test))]
fn weighted_sum(values: &[u32]) -> u32 {
    (1u32..).zip(values).map(|(w, &v)| w * v).sum()
}

/// HMAC-SHA256 keyed with `secret`, fed the context and the 10-byte big-endian encoding of
/// `payload >> 48`; `None` for a secret shorter than [`MIN_SECRET_LEN`].
fn keyed_mac(secret: &[u8], payload: u128) -> Option<Hmac<Sha256>> {
    if secret.len() < MIN_SECRET_LEN {
        return None;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    let bytes = (payload >> MAC_FIELD.bits).to_be_bytes();
    let (_, signed) = bytes.split_last_chunk::<SIGNED_LEN>()?;
    mac.update(MAC_CONTEXT);
    mac.update(signed);
    Some(mac)
}

/// The check letter values (v27, v28) the issuer chooses, from S = Σ_{i≤26} i·v_i (reduced
/// mod 29 here): the first v27 from 0 upward for which v28 = (S − 2·v27) mod 29 is a letter.
/// That makes the full weighted sum 0 mod 29, because 27 ≡ −2 and 28 ≡ −1. In closed form:
/// S < 26 gives (0, S); S = 26 or 27 gives (1, S − 2), since v27 = 0 leaves S, not a letter;
/// S = 28 gives (2, 24), since v27 = 1 leaves 26, not a letter either.
const fn check_pair(payload_sum: u32) -> (u32, u32) {
    let s = payload_sum % CHECK_MODULUS;
    if s < 26 {
        (0, s)
    } else if s < 28 {
        (1, s - 2)
    } else {
        (2, s - 4)
    }
}

/// Make a key: version 1, the given fields, reserved bits 0, the MAC under `secret`, and the
/// check letters. The result is decoded again before it is returned, so it is always a key
/// [`Key::parse`] accepts.
///
/// # Errors
/// [`Error::Issue`] if the secret is shorter than [`MIN_SECRET_LEN`] bytes, the package code
/// is unknown, the serial number is 10^12 or more, or the expiry is before 2000-01-02 or after
/// 2179-06-06 (the 16-bit day count from 2000-01-01; day 0 means "no expiry").
#[cfg(feature = "issuer")]
pub fn issue(fields: &KeyFields, secret: &[u8]) -> Result<Key, Error> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(Error::Issue {
            reason: format!(
                "the key secret is {} bytes; at least {MIN_SECRET_LEN} are needed",
                secret.len()
            ),
        });
    }
    if package_name(fields.package_code).is_none() {
        return Err(Error::Issue {
            reason: format!(
                "package code {} is not a known package (1-{})",
                fields.package_code,
                PACKAGES.len()
            ),
        });
    }
    if fields.serial_number >= SERIAL_LIMIT {
        return Err(Error::Issue {
            reason: format!("serial number {} has more than 12 digits", fields.serial_number),
        });
    }
    let expiry_days = match fields.expiry {
        None => 0,
        Some(date) => {
            let days = date.signed_duration_since(EPOCH).num_days();
            match u16::try_from(days) {
                Ok(d) if d > 0 => d,
                _ => {
                    return Err(Error::Issue {
                        reason: format!(
                            "expiry {date} is outside 2000-01-02..=2179-06-06 (day {days} since 2000-01-01)"
                        ),
                    })
                }
            }
        }
    };
    let scope = match fields.scope {
        Scope::Node => 0,
        Scope::Cluster => 1,
        Scope::Site => 2,
        Scope::Demo => 3,
    };
    let signed = VERSION_FIELD.put(u64::from(VERSION))
        | SCOPE_FIELD.put(scope)
        | PACKAGE_FIELD.put(u64::from(fields.package_code))
        | SERIAL_FIELD.put(fields.serial_number)
        | EXPIRY_FIELD.put(u64::from(expiry_days))
        | EVALUATION_FIELD.put(u64::from(fields.evaluation));
    let internal = |what: &str| Error::Issue { reason: format!("internal error: {what}") };
    let mac = keyed_mac(secret, signed).ok_or_else(|| internal("HMAC key refused"))?;
    let tag = mac
        .finalize()
        .into_bytes()
        .iter()
        .take(MAC_LEN)
        .fold(0u128, |t, &b| t << 8 | u128::from(b));
    let mut rest = signed | tag;

    let mut values = [0u32; KEY_LEN];
    for v in values.iter_mut().take(PAYLOAD_LETTERS).rev() {
        // rest % 26 < 26: the cast is exact.
        *v = (rest % 26) as u32;
        rest /= 26;
    }
    let payload_sum = values
        .split_first_chunk::<PAYLOAD_LETTERS>()
        .map(|(payload, _)| weighted_sum(payload))
        .ok_or_else(|| internal("no check letters"))?;
    let (v27, v28) = check_pair(payload_sum);
    let [.., c27, c28] = &mut values;
    (*c27, *c28) = (v27, v28);
    // Every value is below 26: the casts are exact.
    Key::from_letters(values.map(|v| b'A' + v as u8))
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("key", &self.as_str())
            .field("version", &self.version())
            .field("scope", &self.scope())
            .field("package", &self.package())
            .field("serial_number", &self.serial_number())
            .field("expiry", &self.expiry())
            .field("evaluation", &self.evaluation())
            .finish()
    }
}

impl FromStr for Key {
    type Err = Error;

    fn from_str(s: &str) -> Result<Key, Error> {
        Key::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    /// The worked example of docs/key28.md.
    const EXAMPLE: &str = "DNYEEIHEQDELSLSLEMXRCKUSNGCY";

    #[test]
    fn package_table_round_trips() {
        assert_eq!(package_name(0), None);
        assert_eq!(package_name(27), None);
        assert_eq!(package_name(255), None);
        for code in 1..=26u8 {
            let name = package_name(code).unwrap();
            assert_eq!(package_code(name), Some(code));
            assert_eq!(package_code(&name.to_ascii_lowercase()), Some(code));
        }
        assert_eq!(package_name(9), Some("SnapMirror"));
        assert_eq!(package_code("nvme_of"), Some(5));
        // The catalog's spellings: case, ' ', '-' and '_' do not matter (catalog::same_name).
        assert_eq!(package_code("NVMe-oF"), Some(5));
        assert_eq!(package_code("nvme of"), Some(5));
        assert_eq!(package_code("snapmirror-sync"), Some(10));
        assert_eq!(package_code("NVMeoF"), None);
        assert_eq!(package_code(""), None);
    }

    #[test]
    fn example_payload_and_check_letters() {
        let key = Key::parse(EXAMPLE).unwrap();
        assert_eq!(key.payload, 0xa13bb3c6899ea4fe50234471ff7ba0);
        assert_eq!(key.payload >> MAC_FIELD.bits, 0xa13bb3c6899ea4fe50);
        assert_eq!(EXPIRY_FIELD.get(key.payload), 10226);
        let values = key.letters.map(|l| u32::from(l - b'A'));
        assert_eq!(weighted_sum(&values[..26]), 4146);
        assert_eq!(4146 % 29, 28);
        // S = 28 is the case where v27 = 0 and v27 = 1 give no letter.
        assert_eq!(check_values(&values[..26]), Some((2, 24)));
        assert_eq!(check_pair(weighted_sum(&values[..26])), (2, 24));
        assert_eq!(weighted_sum(&values), 4872);
        assert_eq!(4872 % 29, 0);
    }

    /// The issuer's rule by search, as docs/key28.md §3 states it: the reference the closed
    /// form [`check_pair`] is tested against.
    fn check_values(payload_values: &[u32]) -> Option<(u32, u32)> {
        let s = weighted_sum(payload_values) % CHECK_MODULUS;
        (0u32..26).find_map(|v27| {
            // + 2·29 keeps the subtraction non-negative (2·v27 ≤ 50).
            let v28 = (s + 2 * CHECK_MODULUS - 2 * v27) % CHECK_MODULUS;
            (v28 < 26).then_some((v27, v28))
        })
    }

    #[test]
    fn closed_form_check_pair_is_the_search() {
        for s in 0..29u32 {
            // A payload whose weighted sum is s: letter 1 holds s (s < 26) or letters 1 and 2
            // hold s - 2 and 1.
            let mut values = [0u32; 26];
            if s < 26 {
                values[0] = s;
            } else {
                (values[0], values[1]) = (s - 2, 1);
            }
            assert_eq!(weighted_sum(&values), s);
            assert_eq!(Some(check_pair(s)), check_values(&values), "S = {s}");
            // Unreduced sums give the same pair.
            assert_eq!(check_pair(s + 29 * 400), check_pair(s));
        }
    }

    #[test]
    fn check_letters_exist_for_every_residue() {
        let mut seen = [false; 29];
        for v1 in 0..26u32 {
            for v2 in 0..3u32 {
                let mut values = [0u32; 26];
                (values[0], values[1]) = (v1, v2);
                let s = weighted_sum(&values) % 29;
                seen[s as usize] = true;
                let (v27, v28) = check_values(&values).unwrap();
                assert!(v27 <= 2 && v28 < 26, "S={s}: ({v27}, {v28})");
                assert_eq!((s + 27 * v27 + 28 * v28) % 29, 0);
            }
        }
        assert!(seen.iter().all(|&b| b));
    }

    #[test]
    fn field_put_get() {
        let p = SERIAL_FIELD.put(999_999_999_999) | MAC_FIELD.put(0xffff_ffff_ffff);
        assert_eq!(SERIAL_FIELD.get(p), 999_999_999_999);
        assert_eq!(MAC_FIELD.get(p), 0xffff_ffff_ffff);
        assert_eq!(EXPIRY_FIELD.get(p), 0);
        assert_eq!(EPOCH.to_string(), "2000-01-01");
    }
}
