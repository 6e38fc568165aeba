//! Bounds on what one input may cost.

/// Bounds on the size and shape of input, so that hostile input costs time and memory linear in
/// its size and never more than these limits allow.
///
/// Past any limit, reading stops with [`crate::Error::LimitExceeded`] naming the limit.
///
/// Memory: reading keeps a tree of the document, which takes at most 80 bytes per input byte
/// whatever its shape, so `max_size` bounds it: at most 80 MiB for the default 1 MiB. The worst
/// shape is nested two-element arrays (`[[[1,1],1],1]`); tests/alloc_count.rs measures the
/// hostile shapes. Lower `max_size` where many inputs are read at once.
///
/// ```
/// let strict = nlf::Limits { max_size: 64 * 1024, ..nlf::Limits::default() };
/// assert!(strict.max_depth <= nlf::Limits::default().max_depth);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes in one input handed to [`crate::read`]. Default 1 MiB (an NLF is about 1 KB).
    pub max_size: usize,
    /// Nesting depth of JSON arrays and objects. Default 32 (an NLF needs 5); values above
    /// [`Limits::HARD_MAX_DEPTH`] are treated as that.
    pub max_depth: usize,
    /// Bytes in one JSON string after unescaping, and characters in one number. Default 64 KiB.
    pub max_string_len: usize,
    /// Members in one JSON object, or elements in one array. Default 4,096.
    pub max_members: usize,
    /// Packages in one NLF. Default 256 (the largest bundle has about 20).
    pub max_packages: usize,
    /// Licenses (keys and documents) in one input. Default 10,000.
    pub max_documents: usize,
    /// A [`crate::Catalog`]'s size, three ways, each bounded by this: packages and bundles
    /// together, members listed by all its bundles, and packages in all its bundles' expansions
    /// (each bundle expanded once). Default 10,000 (the built-in catalog has 27 packages, 8
    /// bundles, 50 members and 65 packages in its expansions). Catalog changes, and so the
    /// time they take, stay within a bound set by this limit however bundles list each other.
    pub max_catalog_entries: usize,
    /// Levels of bundles inside bundles in a [`crate::Catalog`]: a bundle of packages only is
    /// one level. Default 16 (the built-in ONTAP One is two).
    pub max_bundle_depth: usize,
}

impl Limits {
    /// The nesting depth that no setting can exceed. Reading, canonicalizing and verifying keep
    /// their own stacks on the heap, so input within it needs no more thread stack than flat
    /// input (tests/hostile.rs runs them at this depth on a 64 KiB thread).
    pub const HARD_MAX_DEPTH: usize = 128;

    pub(crate) fn depth(&self) -> usize {
        self.max_depth.min(Self::HARD_MAX_DEPTH)
    }

    /// Refuse an input longer than [`Limits::max_size`] before reading any of it.
    pub(crate) fn check_size(&self, len: usize) -> Result<(), crate::Error> {
        if len > self.max_size {
            return Err(crate::Error::LimitExceeded {
                what: crate::Limit::Size,
                limit: self.max_size,
                found: len,
                offset: self.max_size,
            });
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_size: 1 << 20,
            max_depth: 32,
            max_string_len: 64 * 1024,
            max_members: 4096,
            max_packages: 256,
            max_documents: 10_000,
            max_catalog_entries: 10_000,
            max_bundle_depth: 16,
        }
    }
}
