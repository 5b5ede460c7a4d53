//! What the machine offers, as data: the facility bits STFLE stores, the 128-bit mask each
//! CPACF instruction's QUERY function stores, and which catalogue algorithm each installed
//! function serves.
//!
//! Pure code, compiled and unit-tested on every architecture; only the instructions that
//! produce the raw bits (`insn.rs`) are s390x-only.
//!
//! Sources: z/Architecture Principles of Operation (facility list, CPACF chapter); the
//! Linux kernel's `arch/s390/include/asm/cpacf.h` (which facility gates which instruction,
//! function codes).

// The s390x provider uses all of this; other architectures compile it only so that its
// unit tests run on every CI machine.
#![cfg_attr(not(target_arch = "s390x"), allow(dead_code))]

use std::fmt::Write as _;

use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg};

/// Doublewords of the facility list the provider asks STFLE for: bits 0..=255, enough for
/// every bit in [`FACILITIES`].
pub(crate) const FACILITY_DOUBLEWORDS: usize = 4;

/// A facility bit of interest, numbered as the Principles of Operation does (bit 0 is the
/// leftmost bit of the first doubleword).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FacilityInfo {
    /// The bit number.
    pub bit: u16,
    /// Short name for `wirecrypt probe`.
    pub name: &'static str,
    /// What it brings.
    pub what: &'static str,
}

/// Message-security-assist facility: KM, KMC, KIMD, KLMD, KMAC.
pub(crate) const MSA: u16 = 17;
/// Message-security-assist extension 3.
pub(crate) const MSA3: u16 = 76;
/// Message-security-assist extension 4: KMCTR, KMF, KMO, PCC.
pub(crate) const MSA4: u16 = 77;
/// Message-security-assist extension 5: PRNO (PPNO).
pub(crate) const MSA5: u16 = 57;
/// Message-security-assist extension 8: KMA.
pub(crate) const MSA8: u16 = 146;
/// Message-security-assist extension 9: KDSA (not used here; reported).
pub(crate) const MSA9: u16 = 155;

/// The facility bits the provider reports, in `wirecrypt probe` order.
pub(crate) static FACILITIES: &[FacilityInfo] = &[
    FacilityInfo {
        bit: MSA,
        name: "msa",
        what: "KM KMC KIMD KLMD KMAC",
    },
    FacilityInfo {
        bit: MSA3,
        name: "msa3",
        what: "PCKMO, protected keys",
    },
    FacilityInfo {
        bit: MSA4,
        name: "msa4",
        what: "KMCTR KMF KMO PCC",
    },
    FacilityInfo {
        bit: MSA5,
        name: "msa5",
        what: "PRNO",
    },
    FacilityInfo {
        bit: MSA8,
        name: "msa8",
        what: "KMA (GCM)",
    },
    FacilityInfo {
        bit: MSA9,
        name: "msa9",
        what: "KDSA",
    },
];

/// The facility list as STFLE stores it: big-endian doublewords, bit 0 leftmost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct FacilityList {
    doublewords: [u64; FACILITY_DOUBLEWORDS],
}

impl FacilityList {
    /// Wraps the doublewords STFLE stored (as integers: on s390x a doubleword in memory is
    /// big-endian, so its bit 0 is the integer's most significant bit).
    pub(crate) const fn from_doublewords(doublewords: [u64; FACILITY_DOUBLEWORDS]) -> Self {
        FacilityList { doublewords }
    }

    /// A list with exactly `bits` set (for tests and models).
    #[cfg(test)]
    pub(crate) fn with_bits(bits: &[u16]) -> Self {
        let mut doublewords = [0u64; FACILITY_DOUBLEWORDS];
        for &bit in bits {
            let bit = usize::from(bit);
            doublewords[bit / 64] |= 1 << (63 - bit % 64);
        }
        FacilityList { doublewords }
    }

    /// True when facility `bit` is installed.
    pub(crate) fn has(&self, bit: u16) -> bool {
        let bit = usize::from(bit);
        self.doublewords
            .get(bit / 64)
            .is_some_and(|dw| (dw >> (63 - bit % 64)) & 1 == 1)
    }

    /// The raw doublewords, for `wirecrypt probe`.
    pub(crate) fn doublewords(&self) -> [u64; FACILITY_DOUBLEWORDS] {
        self.doublewords
    }
}

/// A CPACF instruction the provider queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Instruction {
    /// CIPHER MESSAGE.
    Km,
    /// CIPHER MESSAGE WITH COUNTER.
    Kmctr,
    /// CIPHER MESSAGE WITH AUTHENTICATION.
    Kma,
    /// COMPUTE INTERMEDIATE MESSAGE DIGEST.
    Kimd,
    /// COMPUTE LAST MESSAGE DIGEST.
    Klmd,
    /// COMPUTE MESSAGE AUTHENTICATION CODE.
    Kmac,
    /// PERFORM RANDOM NUMBER OPERATION.
    Prno,
}

/// One row of [`INSTRUCTIONS`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct InstructionInfo {
    /// The instruction.
    pub insn: Instruction,
    /// Its mnemonic.
    pub name: &'static str,
    /// Its 16-bit opcode.
    pub opcode: u16,
    /// The facility bit that must be set before the instruction may be executed at all
    /// (even its QUERY function): without it the instruction is an operation exception.
    pub facility: u16,
}

/// Every instruction the provider queries, with its opcode and gating facility.
pub(crate) static INSTRUCTIONS: &[InstructionInfo] = &[
    InstructionInfo {
        insn: Instruction::Km,
        name: "KM",
        opcode: 0xb92e,
        facility: MSA,
    },
    InstructionInfo {
        insn: Instruction::Kmctr,
        name: "KMCTR",
        opcode: 0xb92d,
        facility: MSA4,
    },
    InstructionInfo {
        insn: Instruction::Kma,
        name: "KMA",
        opcode: 0xb929,
        facility: MSA8,
    },
    InstructionInfo {
        insn: Instruction::Kimd,
        name: "KIMD",
        opcode: 0xb93e,
        facility: MSA,
    },
    InstructionInfo {
        insn: Instruction::Klmd,
        name: "KLMD",
        opcode: 0xb93f,
        facility: MSA,
    },
    InstructionInfo {
        insn: Instruction::Kmac,
        name: "KMAC",
        opcode: 0xb91e,
        facility: MSA,
    },
    InstructionInfo {
        insn: Instruction::Prno,
        name: "PRNO",
        opcode: 0xb93c,
        facility: MSA5,
    },
];

impl Instruction {
    /// This instruction's row of [`INSTRUCTIONS`].
    pub(crate) fn info(self) -> &'static InstructionInfo {
        INSTRUCTIONS
            .iter()
            .find(|row| row.insn == self)
            .expect("every Instruction has an INSTRUCTIONS row (checked by a unit test)")
    }

    fn index(self) -> usize {
        INSTRUCTIONS
            .iter()
            .position(|row| row.insn == self)
            .expect("every Instruction has an INSTRUCTIONS row (checked by a unit test)")
    }
}

/// Function codes the provider uses (the decrypt modifier 0x80 is not part of them).
pub(crate) mod fc {
    /// Every instruction's QUERY function.
    pub(crate) const QUERY: u8 = 0;
    /// KM / KMCTR: AES-128.
    pub(crate) const AES_128: u8 = 18;
    /// KM / KMCTR: AES-192.
    pub(crate) const AES_192: u8 = 19;
    /// KM / KMCTR: AES-256.
    pub(crate) const AES_256: u8 = 20;
    /// KMA: GCM-AES-128 (same code as the cipher it runs).
    pub(crate) const GCM_AES_128: u8 = AES_128;
    /// KMA: GCM-AES-256.
    pub(crate) const GCM_AES_256: u8 = AES_256;
    /// KIMD / KLMD: SHA-256.
    pub(crate) const SHA_256: u8 = 2;
    /// KIMD / KLMD: SHA-512 (also SHA-384: same compression, another initial value).
    pub(crate) const SHA_512: u8 = 3;
    /// PRNO: the true random number generator.
    pub(crate) const TRNG: u8 = 114;
}

/// Names of the function codes `wirecrypt probe` may print, per instruction; others are
/// printed as numbers.
static FUNCTION_NAMES: &[(Instruction, u8, &str)] = &[
    (Instruction::Km, 1, "DEA"),
    (Instruction::Km, 2, "TDEA-128"),
    (Instruction::Km, 3, "TDEA-192"),
    (Instruction::Km, 18, "AES-128"),
    (Instruction::Km, 19, "AES-192"),
    (Instruction::Km, 20, "AES-256"),
    (Instruction::Km, 50, "XTS-AES-128"),
    (Instruction::Km, 52, "XTS-AES-256"),
    (Instruction::Kmctr, 1, "DEA"),
    (Instruction::Kmctr, 2, "TDEA-128"),
    (Instruction::Kmctr, 3, "TDEA-192"),
    (Instruction::Kmctr, 18, "AES-128"),
    (Instruction::Kmctr, 19, "AES-192"),
    (Instruction::Kmctr, 20, "AES-256"),
    (Instruction::Kma, 18, "GCM-AES-128"),
    (Instruction::Kma, 19, "GCM-AES-192"),
    (Instruction::Kma, 20, "GCM-AES-256"),
    (Instruction::Kimd, 1, "SHA-1"),
    (Instruction::Kimd, 2, "SHA-256"),
    (Instruction::Kimd, 3, "SHA-512"),
    (Instruction::Kimd, 32, "SHA3-224"),
    (Instruction::Kimd, 33, "SHA3-256"),
    (Instruction::Kimd, 34, "SHA3-384"),
    (Instruction::Kimd, 35, "SHA3-512"),
    (Instruction::Kimd, 36, "SHAKE-128"),
    (Instruction::Kimd, 37, "SHAKE-256"),
    (Instruction::Kimd, 65, "GHASH"),
    (Instruction::Klmd, 1, "SHA-1"),
    (Instruction::Klmd, 2, "SHA-256"),
    (Instruction::Klmd, 3, "SHA-512"),
    (Instruction::Klmd, 32, "SHA3-224"),
    (Instruction::Klmd, 33, "SHA3-256"),
    (Instruction::Klmd, 34, "SHA3-384"),
    (Instruction::Klmd, 35, "SHA3-512"),
    (Instruction::Klmd, 36, "SHAKE-128"),
    (Instruction::Klmd, 37, "SHAKE-256"),
    (Instruction::Kmac, 1, "DEA"),
    (Instruction::Kmac, 2, "TDEA-128"),
    (Instruction::Kmac, 3, "TDEA-192"),
    (Instruction::Kmac, 18, "AES-128"),
    (Instruction::Kmac, 19, "AES-192"),
    (Instruction::Kmac, 20, "AES-256"),
    (Instruction::Kmac, 112, "HMAC-SHA-224"),
    (Instruction::Kmac, 113, "HMAC-SHA-256"),
    (Instruction::Kmac, 114, "HMAC-SHA-384"),
    (Instruction::Kmac, 115, "HMAC-SHA-512"),
    (Instruction::Prno, 3, "SHA-512-DRNG"),
    (Instruction::Prno, 112, "TRNG-QUERY-RATIO"),
    (Instruction::Prno, 114, "TRNG"),
];

/// The 128-bit status word an instruction's QUERY function stores: bit `fc` (bit 0
/// leftmost) is set when function code `fc` is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct QueryMask([u8; 16]);

impl QueryMask {
    /// Wraps the 16 bytes QUERY stored.
    pub(crate) const fn from_bytes(bytes: [u8; 16]) -> Self {
        QueryMask(bytes)
    }

    /// A mask with exactly the function codes `fcs` set (for tests and models).
    #[cfg(test)]
    pub(crate) fn with_functions(fcs: &[u8]) -> Self {
        let mut bytes = [0u8; 16];
        for &f in fcs {
            let f = usize::from(f & 0x7f);
            bytes[f >> 3] |= 0x80 >> (f & 7);
        }
        QueryMask(bytes)
    }

    /// True when function code `fc` is installed. The decrypt modifier (0x80) is ignored:
    /// a cipher function is installed for both directions or neither.
    pub(crate) fn has(&self, fc: u8) -> bool {
        let fc = usize::from(fc & 0x7f);
        self.0[fc >> 3] & (0x80 >> (fc & 7)) != 0
    }

    /// Every installed function code, ascending.
    pub(crate) fn functions(&self) -> impl Iterator<Item = u8> + '_ {
        (0..128u8).filter(|&f| self.has(f))
    }

    /// The mask as 32 hex digits.
    pub(crate) fn hex(&self) -> String {
        self.0.iter().fold(String::with_capacity(32), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

/// Proof that one function of one instruction is installed: obtainable only from
/// [`Capabilities::function`], so no code path can issue a function detection did not
/// find (which would be a specification exception, i.e. `SIGILL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Function {
    insn: Instruction,
    fc: u8,
}

impl Function {
    /// The instruction.
    pub(crate) fn instruction(self) -> Instruction {
        self.insn
    }

    /// The function code (without modifier bits).
    pub(crate) fn code(self) -> u8 {
        self.fc
    }
}

/// What detection found: the facility list and, for each instruction whose facility is
/// installed, its QUERY mask.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Capabilities {
    facilities: FacilityList,
    /// Indexed like [`INSTRUCTIONS`]; `None` when the gating facility is absent (the
    /// instruction was not executed).
    masks: [Option<QueryMask>; 7],
}

const _: () = assert!(
    INSTRUCTIONS.len() == 7,
    "Capabilities::masks has one slot per instruction"
);

impl Capabilities {
    /// Builds the capabilities from the facility list and a QUERY function: `query` is
    /// called only for instructions whose gating facility is installed.
    pub(crate) fn detect(
        facilities: FacilityList,
        mut query: impl FnMut(Instruction) -> QueryMask,
    ) -> Self {
        let mut masks = [None; 7];
        for (slot, row) in masks.iter_mut().zip(INSTRUCTIONS) {
            if facilities.has(row.facility) {
                *slot = Some(query(row.insn));
            }
        }
        Capabilities { facilities, masks }
    }

    /// The facility list.
    pub(crate) fn facilities(&self) -> &FacilityList {
        &self.facilities
    }

    /// The QUERY mask of `insn`, or `None` when its facility is not installed.
    pub(crate) fn mask(&self, insn: Instruction) -> Option<QueryMask> {
        self.masks[insn.index()]
    }

    /// The proof that `fc` of `insn` is installed, when it is.
    pub(crate) fn function(&self, insn: Instruction, fc: u8) -> Option<Function> {
        let fc = fc & 0x7f;
        self.mask(insn)
            .filter(|m| m.has(fc))
            .map(|_| Function { insn, fc })
    }

    /// Every function `alg` needs, when all are installed.
    pub(crate) fn functions_for(&self, alg: Algorithm) -> Option<Vec<Function>> {
        let needs = needs(alg);
        if needs.is_empty() {
            return None;
        }
        needs
            .iter()
            .map(|&(insn, fc)| self.function(insn, fc))
            .collect()
    }

    /// True when the provider can serve `alg` here.
    pub(crate) fn serves(&self, alg: Algorithm) -> bool {
        self.functions_for(alg).is_some()
    }

    /// The TRNG function of PRNO, when installed.
    pub(crate) fn trng(&self) -> Option<Function> {
        self.function(Instruction::Prno, fc::TRNG)
    }

    /// What was found, as (aspect, value) pairs for `wirecrypt probe`: the facility bits,
    /// each instruction's mask and decoded functions, and per algorithm what serves it or
    /// which function is missing.
    pub(crate) fn describe(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let bits: Vec<String> = FACILITIES
            .iter()
            .map(|f| {
                let mark = if self.facilities.has(f.bit) { "+" } else { "-" };
                format!("{mark}{} ({})", f.name, f.bit)
            })
            .collect();
        out.push(("facilities".to_owned(), bits.join(" ")));
        let dw = self.facilities.doublewords();
        out.push((
            "stfle".to_owned(),
            format!(
                "{:016x} {:016x} {:016x} {:016x}",
                dw[0], dw[1], dw[2], dw[3]
            ),
        ));
        for row in INSTRUCTIONS {
            let value = match self.mask(row.insn) {
                None => format!(
                    "not installed (needs facility {} {})",
                    row.facility,
                    facility_name(row.facility)
                ),
                Some(mask) => {
                    let names: Vec<String> = mask
                        .functions()
                        .map(|f| function_name(row.insn, f))
                        .collect();
                    format!(
                        "opcode {:04x}, mask {}: {}",
                        row.opcode,
                        mask.hex(),
                        names.join(", ")
                    )
                }
            };
            out.push((row.name.to_owned(), value));
        }
        for &(alg, needs) in SERVES {
            let value = match self.functions_for(alg) {
                Some(_) => format!("CPACF {}", needs_text(needs)),
                None => format!("not served: needs {}", needs_text(needs)),
            };
            out.push((alg.id().to_owned(), value));
        }
        let rng = if self.trng().is_some() {
            "PRNO-TRNG (function 114)".to_owned()
        } else {
            "operating system (getrandom): PRNO-TRNG not installed".to_owned()
        };
        out.push(("rng".to_owned(), rng));
        out
    }
}

/// Which functions serve each catalogue algorithm. An algorithm absent here is never
/// served by this provider; one listed is served only when every function is installed.
///
/// SHA-384 uses the SHA-512 functions: KIMD/KLMD take the chaining value from the
/// parameter block, so starting from SHA-384's initial value and keeping the first 48
/// bytes of the result is SHA-384 (FIPS 180-4 §5.3.4, §6.5).
static SERVES: &[(Algorithm, &[(Instruction, u8)])] = &[
    (
        Algorithm::Aead(AeadAlg::Aes128Gcm),
        &[(Instruction::Kma, fc::GCM_AES_128)],
    ),
    (
        Algorithm::Aead(AeadAlg::Aes256Gcm),
        &[(Instruction::Kma, fc::GCM_AES_256)],
    ),
    (
        Algorithm::Cipher(CipherAlg::Aes128Ctr),
        &[(Instruction::Kmctr, fc::AES_128)],
    ),
    (
        Algorithm::Cipher(CipherAlg::Aes192Ctr),
        &[(Instruction::Kmctr, fc::AES_192)],
    ),
    (
        Algorithm::Cipher(CipherAlg::Aes256Ctr),
        &[(Instruction::Kmctr, fc::AES_256)],
    ),
    (
        Algorithm::Hash(HashAlg::Sha256),
        &[
            (Instruction::Kimd, fc::SHA_256),
            (Instruction::Klmd, fc::SHA_256),
        ],
    ),
    (
        Algorithm::Hash(HashAlg::Sha384),
        &[
            (Instruction::Kimd, fc::SHA_512),
            (Instruction::Klmd, fc::SHA_512),
        ],
    ),
    (
        Algorithm::Hash(HashAlg::Sha512),
        &[
            (Instruction::Kimd, fc::SHA_512),
            (Instruction::Klmd, fc::SHA_512),
        ],
    ),
];

/// The functions `alg` needs; empty when the provider never serves it.
fn needs(alg: Algorithm) -> &'static [(Instruction, u8)] {
    SERVES
        .iter()
        .find(|(a, _)| *a == alg)
        .map_or(&[], |&(_, needs)| needs)
}

fn needs_text(needs: &[(Instruction, u8)]) -> String {
    needs
        .iter()
        .map(|&(insn, f)| format!("{}-{}", insn.info().name, function_name(insn, f)))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn facility_name(bit: u16) -> &'static str {
    FACILITIES
        .iter()
        .find(|f| f.bit == bit)
        .map_or("?", |f| f.name)
}

/// `query`, a name from [`FUNCTION_NAMES`], or `fc <n>`.
fn function_name(insn: Instruction, f: u8) -> String {
    if f == fc::QUERY {
        return "query".to_owned();
    }
    FUNCTION_NAMES
        .iter()
        .find(|&&(i, code, _)| i == insn && code == f)
        .map_or_else(|| format!("fc {f}"), |&(_, _, name)| name.to_owned())
}

/// What QEMU 7.2's `qemu-s390x` reported (STFLE doublewords, and the QUERY masks):
/// every instruction answers QUERY; only KIMD/KLMD SHA-512 and PRNO TRNG are there.
#[cfg(test)]
pub(crate) fn qemu_7_2() -> Capabilities {
    let facilities = FacilityList::from_doublewords([
        0xf940_f6d3_f4c4_5c64,
        0x059c_0000_0000_0000,
        0x7120_2800_0000_0000,
        0,
    ]);
    Capabilities::detect(facilities, |insn| match insn {
        Instruction::Kimd | Instruction::Klmd => {
            QueryMask::from_bytes([0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        }
        Instruction::Prno => QueryMask::with_functions(&[0, 114]),
        _ => QueryMask::from_bytes([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instruction_has_one_row() {
        for insn in [
            Instruction::Km,
            Instruction::Kmctr,
            Instruction::Kma,
            Instruction::Kimd,
            Instruction::Klmd,
            Instruction::Kmac,
            Instruction::Prno,
        ] {
            assert_eq!(
                INSTRUCTIONS.iter().filter(|r| r.insn == insn).count(),
                1,
                "{insn:?}"
            );
            assert_eq!(insn.info().insn, insn);
        }
        // Opcodes from the Principles of Operation.
        let op = |i: Instruction| i.info().opcode;
        assert_eq!(op(Instruction::Km), 0xb92e);
        assert_eq!(op(Instruction::Kmctr), 0xb92d);
        assert_eq!(op(Instruction::Kma), 0xb929);
        assert_eq!(op(Instruction::Kimd), 0xb93e);
        assert_eq!(op(Instruction::Klmd), 0xb93f);
        assert_eq!(op(Instruction::Kmac), 0xb91e);
        assert_eq!(op(Instruction::Prno), 0xb93c);
    }

    #[test]
    fn facility_bits_count_from_the_left() {
        // Bit 0 is the most significant bit of doubleword 0; bit 63 its least.
        let list = FacilityList::from_doublewords([(1 << 63) | 1, 0, 0, 0]);
        assert!(list.has(0));
        assert!(list.has(63));
        assert!(!list.has(1) && !list.has(62) && !list.has(64));
        // Bit 146 is doubleword 2, bit 18 from its left.
        let list = FacilityList::from_doublewords([0, 0, 1 << (63 - 18), 0]);
        assert!(list.has(146));
        assert!(!list.has(145) && !list.has(147));
        // Bits past the stored list read as absent, never panic.
        assert!(!list.has(255) && !list.has(256) && !list.has(u16::MAX));
        // `with_bits` is the inverse.
        let bits = [0, 7, 17, 57, 76, 77, 146, 155, 255];
        let list = FacilityList::with_bits(&bits);
        for b in 0..256u16 {
            assert_eq!(list.has(b), bits.contains(&b), "bit {b}");
        }
    }

    #[test]
    fn qemu_facility_list_decodes() {
        let caps = qemu_7_2();
        let f = caps.facilities();
        for bit in [MSA, MSA3, MSA4, MSA5, MSA8] {
            assert!(f.has(bit), "bit {bit}");
        }
        assert!(!f.has(MSA9));
        // z/Architecture itself (bit 1) and STFLE (bit 7) are there too.
        assert!(f.has(1) && f.has(7));
    }

    #[test]
    fn query_mask_bit_order() {
        // mask[fc >> 3] & (0x80 >> (fc & 7)): function 0 is the leftmost bit.
        let m = QueryMask::from_bytes([0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(m.has(0) && m.has(3));
        assert!(!m.has(1) && !m.has(2) && !m.has(4));
        assert_eq!(m.functions().collect::<Vec<_>>(), vec![0, 3]);
        // 114 = byte 14, bit 2 from the left (0x20); 127 = the last bit.
        let m = QueryMask::from_bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x01]);
        assert!(m.has(114) && m.has(127));
        assert!(!m.has(113) && !m.has(115));
        // 18/19/20 (AES) = byte 2, bits 2..4 from the left: 0x38.
        let m = QueryMask::with_functions(&[18, 19, 20]);
        assert_eq!(m.hex(), "00003800000000000000000000000000");
        // The decrypt modifier is not a separate function.
        assert!(m.has(18 | 0x80));
        for f in 0..128u8 {
            let one = QueryMask::with_functions(&[f]);
            assert_eq!(one.functions().collect::<Vec<_>>(), vec![f]);
        }
    }

    #[test]
    fn qemu_capabilities_serve_sha512_and_trng_only() {
        let caps = qemu_7_2();
        let served: Vec<&str> = Algorithm::all()
            .filter(|&a| caps.serves(a))
            .map(Algorithm::id)
            .collect();
        assert_eq!(served, vec!["sha384", "sha512"]);
        assert!(caps.trng().is_some());
        assert!(caps.function(Instruction::Kma, fc::GCM_AES_128).is_none());
        assert!(caps.function(Instruction::Km, fc::QUERY).is_some());
        let f = caps.function(Instruction::Kimd, fc::SHA_512).unwrap();
        assert_eq!((f.instruction(), f.code()), (Instruction::Kimd, 3));
    }

    #[test]
    fn instructions_without_their_facility_are_never_queried() {
        // MSA only: KMCTR (MSA4), KMA (MSA8) and PRNO (MSA5) must not be executed.
        let mut asked = Vec::new();
        let caps = Capabilities::detect(FacilityList::with_bits(&[MSA]), |insn| {
            asked.push(insn);
            QueryMask::with_functions(&[0, 18, 19, 20, 114])
        });
        assert_eq!(
            asked,
            vec![
                Instruction::Km,
                Instruction::Kimd,
                Instruction::Klmd,
                Instruction::Kmac
            ]
        );
        assert!(caps.mask(Instruction::Kma).is_none());
        assert!(!caps.serves(Algorithm::Aead(AeadAlg::Aes128Gcm)));
        assert!(!caps.serves(Algorithm::Cipher(CipherAlg::Aes128Ctr)));
        assert!(caps.trng().is_none());
        // Nothing at all: nothing is served, nothing executed.
        let none = Capabilities::detect(FacilityList::default(), |_| unreachable!());
        assert!(Algorithm::all().all(|a| !none.serves(a)));
    }

    #[test]
    fn a_full_machine_serves_every_aes_and_sha2_algorithm() {
        let caps = Capabilities::detect(
            FacilityList::with_bits(&[MSA, MSA3, MSA4, MSA5, MSA8, MSA9]),
            |_| QueryMask::with_functions(&[0, 2, 3, 18, 19, 20, 114]),
        );
        for alg in Algorithm::all() {
            let expected = !matches!(
                alg,
                Algorithm::Aead(AeadAlg::ChaCha20Poly1305) | Algorithm::Mac(_)
            );
            assert_eq!(caps.serves(alg), expected, "{alg}");
        }
        // SHA-256 needs both KIMD and KLMD.
        let kimd_only = Capabilities::detect(FacilityList::with_bits(&[MSA]), |insn| {
            if insn == Instruction::Kimd {
                QueryMask::with_functions(&[0, 2])
            } else {
                QueryMask::with_functions(&[0])
            }
        });
        assert!(!kimd_only.serves(Algorithm::Hash(HashAlg::Sha256)));
    }

    #[test]
    fn describe_names_bits_masks_and_gaps() {
        let details = qemu_7_2().describe();
        let get = |k: &str| {
            details
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no {k} in {details:?}"))
        };
        assert_eq!(
            get("facilities"),
            "+msa (17) +msa3 (76) +msa4 (77) +msa5 (57) +msa8 (146) -msa9 (155)"
        );
        assert_eq!(
            get("stfle"),
            "f940f6d3f4c45c64 059c000000000000 7120280000000000 0000000000000000"
        );
        assert_eq!(
            get("KIMD"),
            "opcode b93e, mask 90000000000000000000000000000000: query, SHA-512"
        );
        assert_eq!(
            get("KMA"),
            "opcode b929, mask 80000000000000000000000000000000: query"
        );
        assert!(get("PRNO").ends_with(": query, TRNG"), "{}", get("PRNO"));
        assert_eq!(get("sha512"), "CPACF KIMD-SHA-512 + KLMD-SHA-512");
        assert_eq!(get("aes-256-gcm"), "not served: needs KMA-GCM-AES-256");
        assert_eq!(get("rng"), "PRNO-TRNG (function 114)");
        let bare = Capabilities::detect(FacilityList::with_bits(&[MSA]), |_| {
            QueryMask::with_functions(&[0])
        })
        .describe();
        let kma = bare.iter().find(|(k, _)| k == "KMA").unwrap();
        assert_eq!(kma.1, "not installed (needs facility 146 msa8)");
        assert_eq!(function_name(Instruction::Kmac, 99), "fc 99");
    }
}
