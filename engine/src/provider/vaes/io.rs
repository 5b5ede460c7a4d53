//! Where the GCM kernels read their input and write their output: one buffer (in place)
//! or two (out of place), seen as whole batches plus a tail.
//!
//! The kernels are generic over [`Blocks`], so each of the two layouts gets its own
//! monomorphized loop with no branch on the layout inside it. Out of place, the kernel
//! reads the input and writes the output in the same pass: no copy first. A batch is
//! `W::BATCH` bytes of the width `W` the layout is made for.

use core::marker::PhantomData;

use super::width::Width;

/// A message split into whole batches and a tail of `len % W::BATCH` bytes, with an
/// input and an output side (the same memory when in place).
pub(super) trait Blocks {
    /// Number of whole batches.
    fn batch_count(&self) -> usize;
    /// Input batch `i`.
    fn input(&self, i: usize) -> &[u8];
    /// Output batch `i` as written so far (the seal kernel hashes ciphertext from here).
    fn output(&self, i: usize) -> &[u8];
    /// Output batch `i`, to write.
    fn output_mut(&mut self, i: usize) -> &mut [u8];
    /// The output tail, holding the input tail: called once, after every batch is done,
    /// so that the kernel finishes the tail in place.
    fn tail_in_place(&mut self) -> &mut [u8];
}

/// Batch `i` of `data`.
#[inline(always)]
fn batch<W: Width>(data: &[u8], i: usize) -> &[u8] {
    &data[i * W::BATCH..(i + 1) * W::BATCH]
}

/// Batch `i` of `data`, to write.
#[inline(always)]
fn batch_mut<W: Width>(data: &mut [u8], i: usize) -> &mut [u8] {
    &mut data[i * W::BATCH..(i + 1) * W::BATCH]
}

/// One buffer, transformed in place.
pub(super) struct InPlace<'a, W> {
    batches: &'a mut [u8],
    tail: &'a mut [u8],
    width: PhantomData<W>,
}

impl<'a, W: Width> InPlace<'a, W> {
    /// `data` as batches and a tail.
    pub(super) fn new(data: &'a mut [u8]) -> Self {
        let (batches, tail) = data.split_at_mut(data.len() / W::BATCH * W::BATCH);
        InPlace {
            batches,
            tail,
            width: PhantomData,
        }
    }
}

impl<W: Width> Blocks for InPlace<'_, W> {
    #[inline(always)]
    fn batch_count(&self) -> usize {
        self.batches.len() / W::BATCH
    }
    #[inline(always)]
    fn input(&self, i: usize) -> &[u8] {
        batch::<W>(self.batches, i)
    }
    #[inline(always)]
    fn output(&self, i: usize) -> &[u8] {
        batch::<W>(self.batches, i)
    }
    #[inline(always)]
    fn output_mut(&mut self, i: usize) -> &mut [u8] {
        batch_mut::<W>(self.batches, i)
    }
    #[inline(always)]
    fn tail_in_place(&mut self) -> &mut [u8] {
        self.tail
    }
}

/// Input and output in different buffers of the same length.
pub(super) struct Separate<'a, W> {
    src: &'a [u8],
    src_tail: &'a [u8],
    dst: &'a mut [u8],
    dst_tail: &'a mut [u8],
    width: PhantomData<W>,
}

impl<'a, W: Width> Separate<'a, W> {
    /// `src` and `dst` as batches and tails.
    ///
    /// # Panics
    /// When the lengths differ (callers slice `dst` to `src.len()` first).
    pub(super) fn new(src: &'a [u8], dst: &'a mut [u8]) -> Self {
        assert_eq!(src.len(), dst.len(), "input and output lengths differ");
        let whole = src.len() / W::BATCH * W::BATCH;
        let (src, src_tail) = src.split_at(whole);
        let (dst, dst_tail) = dst.split_at_mut(whole);
        Separate {
            src,
            src_tail,
            dst,
            dst_tail,
            width: PhantomData,
        }
    }
}

impl<W: Width> Blocks for Separate<'_, W> {
    #[inline(always)]
    fn batch_count(&self) -> usize {
        self.src.len() / W::BATCH
    }
    #[inline(always)]
    fn input(&self, i: usize) -> &[u8] {
        batch::<W>(self.src, i)
    }
    #[inline(always)]
    fn output(&self, i: usize) -> &[u8] {
        batch::<W>(self.dst, i)
    }
    #[inline(always)]
    fn output_mut(&mut self, i: usize) -> &mut [u8] {
        batch_mut::<W>(self.dst, i)
    }
    #[inline(always)]
    fn tail_in_place(&mut self) -> &mut [u8] {
        self.dst_tail.copy_from_slice(self.src_tail);
        self.dst_tail
    }
}
