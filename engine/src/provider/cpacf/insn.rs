//! The CPACF instructions themselves: STFLE, each instruction's QUERY, KIMD, KLMD, KMCTR,
//! KMA and PRNO-TRNG, each a small safe function around one `asm!` (s390x only).
//!
//! # Register conventions (z/Architecture Principles of Operation, CPACF chapter)
//!
//! GR0 holds the function code and modifier bits; GR1 the parameter block's address.
//! Operands are even/odd register pairs (address, length); R1 of KMCTR and KMA (the
//! output) and R3 of KMCTR (the counters) name an even register whose odd partner is not
//! used. The instructions advance the operand registers as they go and may stop early with
//! condition code 3 ("partial completion", e.g. on an interrupt or, under QEMU, after 64
//! SHA-512 blocks); each leaf re-issues the instruction with `brc 1,0b` until it completes,
//! as the Linux kernel does. The registers used are fixed (r0-r7, never the reserved r11,
//! r13, r15) and declared as inputs with discarded outputs, so the compiler keeps nothing
//! in them.
//!
//! Encodings, with `.insn` so that any assembler accepts them:
//!
//! | instruction | format | operands used here |
//! |---|---|---|
//! | KIMD B93E, KLMD B93F | RRE | R1 = 0 (unused), R2 = r2/r3 message |
//! | KMCTR B92D | RRF | R1 = r2 output, R2 = r4/r5 input, R3 = r6 counter blocks |
//! | KMA B929 | RRF | R1 = r2 output, R2 = r4/r5 input, R3 = r6/r7 AAD |
//! | PRNO B93C | RRE | R1 = r2/r3 raw entropy (empty), R2 = r4/r5 conditioned entropy |
//! | KM B92E, KMAC B91E | RRE | query only |

// The only module of the engine's CPACF provider that executes instructions: `asm!` is
// `unsafe`. Every block carries a `// SAFETY:` comment; the rest of the engine stays
// `#![deny(unsafe_code)]`.
#![allow(unsafe_code)]

use std::arch::asm;
use std::sync::OnceLock;

use super::backend::Backend;
use super::params::{
    AES_BLOCK, AesKeyParams, Direction, KmaGcmParams, ShaParams, ShaSpec, aes_key_len, kma_gr0,
    kmctr_gr0,
};
use super::query::{
    Capabilities, FACILITY_DOUBLEWORDS, FacilityList, Function, Instruction, QueryMask, fc,
};

/// What this machine offers, detected on first use.
pub(crate) fn capabilities() -> &'static Capabilities {
    static CAPS: OnceLock<Capabilities> = OnceLock::new();
    // `Capabilities::detect` runs `query` only for instructions whose facility bit STFLE
    // reported.
    CAPS.get_or_init(|| Capabilities::detect(stfle(), query))
}

/// STORE FACILITY LIST EXTENDED: the first [`FACILITY_DOUBLEWORDS`] doublewords.
fn stfle() -> FacilityList {
    let mut list = [0u64; FACILITY_DOUBLEWORDS];
    // SAFETY:
    // * STFLE (facility 7) is installed on every machine the s390x-unknown-linux-gnu
    //   target supports (its baseline is z10), and is unprivileged.
    // * It stores at most GR0 bits 56-63 + 1 = FACILITY_DOUBLEWORDS doublewords at the
    //   address in GR1, which is `list`, exactly that long and exclusively borrowed;
    //   GR0 is overwritten with the machine's count (declared as a discarded output).
    unsafe {
        asm!(
            "stfle 0(%r1)",
            in("r1") list.as_mut_ptr(),
            inout("r0") (FACILITY_DOUBLEWORDS - 1) as u64 => _,
            options(nostack),
        );
    }
    FacilityList::from_doublewords(list)
}

/// The QUERY function (function code 0) of `insn`. Called by [`capabilities`] only when
/// `insn`'s facility is installed (otherwise the instruction is an operation exception).
fn query(insn: Instruction) -> QueryMask {
    let mut mask = [0u8; 16];
    let p = mask.as_mut_ptr();
    // SAFETY:
    // * The caller (`Capabilities::detect`) issues this only when STFLE reported the
    //   facility that installs `insn`; function code 0 (QUERY) exists for every installed
    //   CPACF instruction.
    // * QUERY stores 16 bytes at the address in GR1, which is `mask`, exactly 16 bytes
    //   and exclusively borrowed. It reads no operand and changes no register besides the
    //   condition code; the operand fields name even registers, as the instructions
    //   require of their operands even when unused.
    unsafe {
        match insn {
            Instruction::Km => {
                asm!(".insn rre,0xb92e0000,2,4", in("r0") 0u64, in("r1") p, options(nostack))
            }
            Instruction::Kmctr => {
                asm!(".insn rrf,0xb92d0000,2,4,6,0", in("r0") 0u64, in("r1") p, options(nostack))
            }
            Instruction::Kma => {
                asm!(".insn rrf,0xb9290000,2,4,6,0", in("r0") 0u64, in("r1") p, options(nostack))
            }
            Instruction::Kimd => {
                asm!(".insn rre,0xb93e0000,0,2", in("r0") 0u64, in("r1") p, options(nostack))
            }
            Instruction::Klmd => {
                asm!(".insn rre,0xb93f0000,0,2", in("r0") 0u64, in("r1") p, options(nostack))
            }
            Instruction::Kmac => {
                asm!(".insn rre,0xb91e0000,0,2", in("r0") 0u64, in("r1") p, options(nostack))
            }
            Instruction::Prno => {
                asm!(".insn rre,0xb93c0000,2,4", in("r0") 0u64, in("r1") p, options(nostack))
            }
        }
    }
    QueryMask::from_bytes(mask)
}

/// The machine's CPACF, for the keyed objects.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hardware;

/// Checks the function is a SHA-2 function of `insn` and returns its block size.
fn sha_block_len(f: Function, insn: Instruction) -> usize {
    assert_eq!(f.instruction(), insn, "wrong instruction for {f:?}");
    ShaSpec::block_len_of(f.code()).expect("a SHA-2 function")
}

impl Backend for Hardware {
    fn kimd(self, f: Function, params: &mut ShaParams, blocks: &[u8]) {
        let block_len = sha_block_len(f, Instruction::Kimd);
        assert_eq!(blocks.len() % block_len, 0, "KIMD takes whole blocks");
        if blocks.is_empty() {
            return;
        }
        // SAFETY:
        // * GR0 is a KIMD function that detection found installed (`f` is the proof), so
        //   the instruction raises no exception for its function code.
        // * GR1 points to `params`, 80 bytes exclusively borrowed, covering the SHA-256
        //   (32-byte) and SHA-512 (64-byte) KIMD parameter blocks it reads and writes.
        // * r2/r3 describe `blocks` exactly; KIMD only reads it, and its length is a
        //   multiple of the block size (asserted above), as KIMD requires.
        // * On partial completion (cc 3) r2/r3 have been advanced and the chaining value
        //   updated; `brc 1,0b` resumes. r2/r3 are declared clobbered.
        unsafe {
            asm!(
                "0: .insn rre,0xb93e0000,0,2",
                "brc 1,0b",
                in("r0") u64::from(f.code()),
                in("r1") params.bytes.as_mut_ptr(),
                inout("r2") blocks.as_ptr() => _,
                inout("r3") blocks.len() => _,
                options(nostack),
            );
        }
    }

    fn klmd(self, f: Function, params: &mut ShaParams, tail: &[u8]) {
        sha_block_len(f, Instruction::Klmd);
        // SAFETY:
        // * GR0 is a KLMD function that detection found installed (`f` is the proof).
        // * GR1 points to `params`, 80 bytes exclusively borrowed, covering the SHA-256
        //   (40-byte) and SHA-512 (80-byte) KLMD parameter blocks (chaining value and
        //   message bit length) it reads and writes.
        // * r2/r3 describe `tail` exactly (any length); KLMD only reads it.
        // * Partial completion (cc 3) is resumed by `brc 1,0b`; r2/r3 are declared
        //   clobbered.
        unsafe {
            asm!(
                "0: .insn rre,0xb93f0000,0,2",
                "brc 1,0b",
                in("r0") u64::from(f.code()),
                in("r1") params.bytes.as_mut_ptr(),
                inout("r2") tail.as_ptr() => _,
                inout("r3") tail.len() => _,
                options(nostack),
            );
        }
    }

    fn kmctr(self, f: Function, params: &AesKeyParams, in_out: &mut [u8], counters: &[u8]) {
        assert_eq!(f.instruction(), Instruction::Kmctr);
        assert!(aes_key_len(f.code()).is_some(), "an AES function");
        assert_eq!(in_out.len(), counters.len(), "one counter block per block");
        assert_eq!(in_out.len() % AES_BLOCK, 0, "KMCTR takes whole blocks");
        if in_out.is_empty() {
            return;
        }
        let data = in_out.as_mut_ptr();
        // SAFETY:
        // * GR0 is a KMCTR-AES function that detection found installed (`f` is the proof).
        // * GR1 points to `params`, a 32-byte key block, covering the 16-, 24- or 32-byte
        //   block of the AES function; KMCTR only reads it.
        // * The output (r2) and input (r4/r5) are the same `in_out`, exclusively
        //   borrowed: exact overlap is allowed. The counter blocks (r6) are `counters`,
        //   read only, as long as the input (asserted above). Lengths are whole blocks.
        // * Partial completion (cc 3) is resumed by `brc 1,0b`; r2-r7 are declared
        //   clobbered.
        unsafe {
            asm!(
                "0: .insn rrf,0xb92d0000,2,4,6,0",
                "brc 1,0b",
                in("r0") kmctr_gr0(f.code()),
                in("r1") params.key.as_ptr(),
                inout("r2") data => _,
                out("r3") _,
                inout("r4") data => _,
                inout("r5") in_out.len() => _,
                inout("r6") counters.as_ptr() => _,
                out("r7") _,
                options(nostack),
            );
        }
    }

    fn kma(
        self,
        f: Function,
        direction: Direction,
        params: &mut KmaGcmParams,
        aad: &[u8],
        in_out: &mut [u8],
    ) {
        assert_eq!(f.instruction(), Instruction::Kma);
        assert!(
            matches!(f.code(), fc::GCM_AES_128 | fc::GCM_AES_256),
            "a GCM-AES function"
        );
        let data = in_out.as_mut_ptr();
        let block: *mut KmaGcmParams = params;
        // SAFETY:
        // * GR0 is a KMA-GCM-AES function that detection found installed (`f` is the
        //   proof), with the decrypt modifier and the LAAD and LPC flags: the whole AAD
        //   and text are in this one instruction, so no length needs to be a multiple of
        //   16.
        // * GR1 points to `params`, the 112-byte KMA-GCM block (layout pinned in
        //   `params.rs`), exclusively borrowed; KMA reads and writes it.
        // * The output (r2) and input (r4/r5) are the same `in_out`, exclusively
        //   borrowed: exact overlap is allowed. The AAD (r6/r7) is `aad`, read only.
        // * Partial completion (cc 3) is resumed by `brc 1,0b` with the registers and
        //   block as the machine left them; r2-r7 are declared clobbered.
        unsafe {
            asm!(
                "0: .insn rrf,0xb9290000,2,4,6,0",
                "brc 1,0b",
                in("r0") kma_gr0(f.code(), direction),
                in("r1") block,
                inout("r2") data => _,
                out("r3") _,
                inout("r4") data => _,
                inout("r5") in_out.len() => _,
                inout("r6") aad.as_ptr() => _,
                inout("r7") aad.len() => _,
                options(nostack),
            );
        }
    }

    fn trng(self, f: Function, out: &mut [u8]) {
        assert_eq!((f.instruction(), f.code()), (Instruction::Prno, fc::TRNG));
        if out.is_empty() {
            return;
        }
        // SAFETY:
        // * GR0 is PRNO's TRNG function, which detection found installed (`f` is the
        //   proof). It uses no parameter block.
        // * The raw-entropy operand (r2/r3) is empty (address 0, length 0), so nothing is
        //   stored there; the conditioned-entropy operand (r4/r5) is `out`, exclusively
        //   borrowed, which PRNO fills.
        // * Partial completion (cc 3) is resumed by `brc 1,0b`; r2-r5 are declared
        //   clobbered.
        unsafe {
            asm!(
                "0: .insn rre,0xb93c0000,2,4",
                "brc 1,0b",
                in("r0") u64::from(fc::TRNG),
                inout("r2") 0usize => _,
                inout("r3") 0usize => _,
                inout("r4") out.as_mut_ptr() => _,
                inout("r5") out.len() => _,
                options(nostack),
            );
        }
    }
}
