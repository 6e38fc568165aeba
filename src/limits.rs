//! Bounds on what one input may cost.

/// Bounds on the size and shape of input, so that hostile input costs time and memory linear in
/// its size and never more than these limits allow.
///
/// Past any limit, reading stops with [`crate::Error::LimitExceeded`] naming the limit.
///
/// Memory: reading keeps a tree of the document. A node is 32 bytes and every value but the top
/// one needs at least 2 input bytes, and containers are boxed to exactly their entries, so the
/// tree takes at most 16 bytes per input byte whatever its shape: at most 16 MiB for the default
/// 1 MiB `max_size`. Inputs above [`crate::json::ONE_PASS_MAX`] (64 KiB) are read in two passes,
/// the first counting the entries of every container, so that the second never holds more than
/// that (plus under 16 KiB for the reader's stack). Smaller inputs, every real license among
/// them, are read in one pass, where the entries of the open containers wait on a stack (which
/// grows by doubling) and are copied into their exact box at the close: at most 48 bytes per
/// input byte plus 16 KiB while reading, so at most 3.1 MiB. Either way the tree kept after
/// reading takes at most 16 bytes per input byte. The worst shapes are flat arrays of digits and
/// arrays of one-element arrays (`[[0],[0]]`); tests/alloc_count.rs measures the hostile shapes. Lower `max_size` where many inputs are read at once.
///
/// ```
/// let strict = nlf::Limits { max_size: 64 * 1024, ..nlf::Limits::default() };
/// assert!(strict.max_depth <= nlf::Limits::default().max_depth);
/// assert!(strict.max_size <= nlf::Limits::HARD_MAX_SIZE);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes in one input handed to [`crate::read`]. Default 1 MiB (an NLF is about 1 KB).
    /// Values above [`Limits::HARD_MAX_SIZE`] are treated as that.
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

    /// The input size that no setting can exceed: 4 GiB - 1 bytes (less where `usize` is
    /// smaller). The parse tree keeps byte offsets as `u32` so that a node stays 32 bytes, and
    /// every offset of an input this size fits.
    pub const HARD_MAX_SIZE: usize = if usize::BITS > u32::BITS {
        // Lossless: usize is wider than u32 here.
        u32::MAX as usize
    } else {
        usize::MAX
    };

    pub(crate) fn depth(&self) -> usize {
        self.max_depth.min(Self::HARD_MAX_DEPTH)
    }

    /// The size limit in force: [`Limits::max_size`], at most [`Limits::HARD_MAX_SIZE`].
    pub(crate) fn size(&self) -> usize {
        self.max_size.min(Self::HARD_MAX_SIZE)
    }

    /// Refuse an input longer than [`Limits::max_size`] (or [`Limits::HARD_MAX_SIZE`]) before
    /// reading any of it.
    pub(crate) fn check_size(&self, len: usize) -> Result<(), crate::Error> {
        let limit = self.size();
        if len > limit {
            return Err(crate::Error::LimitExceeded {
                what: crate::Limit::Size,
                limit,
                found: len,
                offset: limit,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hard_size_limit_holds_whatever_max_size_says() {
        let unbounded = Limits { max_size: usize::MAX, ..Limits::default() };
        assert!(unbounded.check_size(Limits::HARD_MAX_SIZE).is_ok());
        if let Some(over) = Limits::HARD_MAX_SIZE.checked_add(1) {
            assert_eq!(
                unbounded.check_size(over),
                Err(crate::Error::LimitExceeded {
                    what: crate::Limit::Size,
                    limit: Limits::HARD_MAX_SIZE,
                    found: over,
                    offset: Limits::HARD_MAX_SIZE,
                })
            );
        }
        // Every offset of an input within the hard limit fits the tree's u32 offsets.
        assert!(u32::try_from(Limits::HARD_MAX_SIZE).is_ok());
    }
}
