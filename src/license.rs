//! A license in either of its forms.

use crate::key28::Key;
use crate::nlf::Nlf;

/// A license as issued: a 28-character key or a NetApp License File.
// An NLF is a few hundred bytes; boxing it would cost an allocation per license on the hot path
// for no gain, since licenses are moved only a handful of times.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum License<'a> {
    /// A 28-character key.
    Key(Key),
    /// An NLFv1 or NLFv2 document.
    Nlf(Nlf<'a>),
}

impl<'a> License<'a> {
    /// The serial number in the one form serials are compared in ([`crate::serial`]): a key's
    /// number and an NLF's text meet here.
    pub fn serial_key(&self) -> crate::serial::SerialKey {
        match self {
            License::Key(k) => crate::serial::SerialKey::of_number(k.serial_number()),
            License::Nlf(n) => crate::serial::SerialKey::of(n.serial_number()),
        }
    }

    /// The serial number the license is issued under, as text (a key's number in decimal).
    pub fn serial_number(&self) -> String {
        match self {
            License::Key(k) => k.serial_number().to_string(),
            License::Nlf(n) => n.serial_number().to_owned(),
        }
    }

    /// A copy that borrows nothing from the input.
    pub fn into_owned(self) -> License<'static> {
        match self {
            License::Key(k) => License::Key(k),
            License::Nlf(n) => License::Nlf(n.into_owned()),
        }
    }
}
