//! SHA-256, SHA-384 and SHA-512 examples from FIPS 180-2, "Secure Hash
//! Standard", Appendices B (SHA-256), C (SHA-512) and D (SHA-384), and the
//! NIST example values published with it: the one-block "abc" message, the
//! 448-bit (SHA-256) and 896-bit (SHA-384/512) multi-block messages, the
//! empty message, and one million repetitions of 'a'.
//!
//! The 448-bit message is
//! "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; the 896-bit
//! message is "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
//! followed by "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".

use super::HashVector;

/// SHA-2 digests of the FIPS 180-2 / NIST example messages.
pub static VECTORS: &[HashVector] = &[
    HashVector {
        source: "FIPS 180-2 B.1 (SHA-256, \"abc\")",
        alg: "sha256",
        data: "616263",
        repeat: 1,
        digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    },
    HashVector {
        source: "FIPS 180-2 B.2 (SHA-256, 448-bit message)",
        alg: "sha256",
        data: "6162636462636465636465666465666765666768666768696768696a68696a6b696a6b6c6a6b6c6d6b6c6d6e6c6d6e6f6d6e6f706e6f7071",
        repeat: 1,
        digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    },
    HashVector {
        source: "NIST SHA-256 example (empty message)",
        alg: "sha256",
        data: "",
        repeat: 1,
        digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    HashVector {
        source: "FIPS 180-2 B.3 (SHA-256, one million 'a')",
        alg: "sha256",
        data: "61",
        repeat: 1_000_000,
        digest: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    },
    HashVector {
        source: "FIPS 180-2 D.1 (SHA-384, \"abc\")",
        alg: "sha384",
        data: "616263",
        repeat: 1,
        digest: "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
    },
    HashVector {
        source: "FIPS 180-2 D.2 (SHA-384, 896-bit message)",
        alg: "sha384",
        data: "61626364656667686263646566676869636465666768696a6465666768696a6b65666768696a6b6c666768696a6b6c6d6768696a6b6c6d6e68696a6b6c6d6e6f696a6b6c6d6e6f706a6b6c6d6e6f70716b6c6d6e6f7071726c6d6e6f707172736d6e6f70717273746e6f707172737475",
        repeat: 1,
        digest: "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039",
    },
    HashVector {
        source: "NIST SHA-384 example (empty message)",
        alg: "sha384",
        data: "",
        repeat: 1,
        digest: "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
    },
    HashVector {
        source: "FIPS 180-2 D.3 (SHA-384, one million 'a')",
        alg: "sha384",
        data: "61",
        repeat: 1_000_000,
        digest: "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985",
    },
    HashVector {
        source: "FIPS 180-2 C.1 (SHA-512, \"abc\")",
        alg: "sha512",
        data: "616263",
        repeat: 1,
        digest: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    },
    HashVector {
        source: "FIPS 180-2 C.2 (SHA-512, 896-bit message)",
        alg: "sha512",
        data: "61626364656667686263646566676869636465666768696a6465666768696a6b65666768696a6b6c666768696a6b6c6d6768696a6b6c6d6e68696a6b6c6d6e6f696a6b6c6d6e6f706a6b6c6d6e6f70716b6c6d6e6f7071726c6d6e6f707172736d6e6f70717273746e6f707172737475",
        repeat: 1,
        digest: "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
    },
    HashVector {
        source: "NIST SHA-512 example (empty message)",
        alg: "sha512",
        data: "",
        repeat: 1,
        digest: "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    },
    HashVector {
        source: "FIPS 180-2 C.3 (SHA-512, one million 'a')",
        alg: "sha512",
        data: "61",
        repeat: 1_000_000,
        digest: "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
    },
];
