//! AES-CTR examples from NIST SP 800-38A, "Recommendation for Block Cipher
//! Modes of Operation: Methods and Techniques", Appendix F.5 (F.5.1, F.5.3 and
//! F.5.5: CTR-AES128, CTR-AES192 and CTR-AES256 encryption), with the full
//! four-block plaintext and ciphertext of each.

use super::CipherVector;

/// CTR-AES128/192/256 encryption examples (SP 800-38A F.5.1, F.5.3, F.5.5).
pub static VECTORS: &[CipherVector] = &[
    CipherVector {
        source: "NIST SP 800-38A F.5.1 CTR-AES128.Encrypt",
        alg: "aes-128-ctr",
        key: "2b7e151628aed2a6abf7158809cf4f3c",
        iv: "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        plaintext: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        ciphertext: "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
    },
    CipherVector {
        source: "NIST SP 800-38A F.5.3 CTR-AES192.Encrypt",
        alg: "aes-192-ctr",
        key: "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
        iv: "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        plaintext: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        ciphertext: "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e941e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050",
    },
    CipherVector {
        source: "NIST SP 800-38A F.5.5 CTR-AES256.Encrypt",
        alg: "aes-256-ctr",
        key: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        iv: "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        plaintext: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        ciphertext: "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
    },
];
