//! Where the GCM kernels read their input and write their output: one buffer (in place)
//! or two (out of place), seen as whole batches plus a tail.
//!
//! The kernels are generic over [`Blocks`], so each of the two layouts gets its own
//! monomorphized loop with no branch on the layout inside it. Out of place, the kernel
//! reads the input and writes the output in the same pass: no copy first.

use super::simd::{BatchBytes, batches, batches_mut};

/// A message split into whole batches and a tail of `len % BATCH` bytes, with an input
/// and an output side (the same memory when in place).
pub(super) trait Blocks {
    /// Number of whole batches.
    fn batch_count(&self) -> usize;
    /// Input batch `i`.
    fn input(&self, i: usize) -> &BatchBytes;
    /// Output batch `i` as written so far (the seal kernel hashes ciphertext from here).
    fn output(&self, i: usize) -> &BatchBytes;
    /// Output batch `i`, to write.
    fn output_mut(&mut self, i: usize) -> &mut BatchBytes;
    /// The output tail, holding the input tail: called once, after every batch is done,
    /// so that the kernel finishes the tail in place.
    fn tail_in_place(&mut self) -> &mut [u8];
}

/// One buffer, transformed in place.
pub(super) struct InPlace<'a> {
    batches: &'a mut [BatchBytes],
    tail: &'a mut [u8],
}

impl<'a> InPlace<'a> {
    /// `data` as batches and a tail.
    pub(super) fn new(data: &'a mut [u8]) -> Self {
        let (batches, tail) = batches_mut(data);
        InPlace { batches, tail }
    }
}

impl Blocks for InPlace<'_> {
    #[inline]
    fn batch_count(&self) -> usize {
        self.batches.len()
    }
    #[inline]
    fn input(&self, i: usize) -> &BatchBytes {
        &self.batches[i]
    }
    #[inline]
    fn output(&self, i: usize) -> &BatchBytes {
        &self.batches[i]
    }
    #[inline]
    fn output_mut(&mut self, i: usize) -> &mut BatchBytes {
        &mut self.batches[i]
    }
    #[inline]
    fn tail_in_place(&mut self) -> &mut [u8] {
        self.tail
    }
}

/// Input and output in different buffers of the same length.
pub(super) struct Separate<'a> {
    src: &'a [BatchBytes],
    src_tail: &'a [u8],
    dst: &'a mut [BatchBytes],
    dst_tail: &'a mut [u8],
}

impl<'a> Separate<'a> {
    /// `src` and `dst` as batches and tails.
    ///
    /// # Panics
    /// When the lengths differ (callers slice `dst` to `src.len()` first).
    pub(super) fn new(src: &'a [u8], dst: &'a mut [u8]) -> Self {
        assert_eq!(src.len(), dst.len(), "input and output lengths differ");
        let (src, src_tail) = batches(src);
        let (dst, dst_tail) = batches_mut(dst);
        Separate {
            src,
            src_tail,
            dst,
            dst_tail,
        }
    }
}

impl Blocks for Separate<'_> {
    #[inline]
    fn batch_count(&self) -> usize {
        self.src.len()
    }
    #[inline]
    fn input(&self, i: usize) -> &BatchBytes {
        &self.src[i]
    }
    #[inline]
    fn output(&self, i: usize) -> &BatchBytes {
        &self.dst[i]
    }
    #[inline]
    fn output_mut(&mut self, i: usize) -> &mut BatchBytes {
        &mut self.dst[i]
    }
    #[inline]
    fn tail_in_place(&mut self) -> &mut [u8] {
        self.dst_tail.copy_from_slice(self.src_tail);
        self.dst_tail
    }
}
