//! HMAC test vectors from RFC 4231, "Identifiers and Test Vectors for
//! HMAC-SHA-224, HMAC-SHA-256, HMAC-SHA-384, and HMAC-SHA-512" (the SHA-256
//! and SHA-512 results), and from RFC 2202, "Test Cases for HMAC-MD5 and
//! HMAC-SHA-1" (the SHA-1 results).
//!
//! Test case inputs, as published:
//!
//! | case | key (RFC 4231)            | key (RFC 2202)           | data |
//! |------|---------------------------|--------------------------|------|
//! | 1    | 20 bytes of `0b`          | same                     | "Hi There" |
//! | 2    | "Jefe"                    | same                     | "what do ya want for nothing?" |
//! | 3    | 20 bytes of `aa`          | same                     | 50 bytes of `dd` |
//! | 4    | `0102...19` (25 bytes)    | same                     | 50 bytes of `cd` |
//! | 5    | 20 bytes of `0c`          | same                     | "Test With Truncation" |
//! | 6    | 131 bytes of `aa`         | 80 bytes of `aa`         | see below |
//! | 7    | 131 bytes of `aa`         | 80 bytes of `aa`         | see below |
//!
//! Case 6 data is "Test Using Larger Than Block-Size Key - Hash Key First" in
//! both RFCs. Case 7 data differs: RFC 4231 uses "This is a test using a
//! larger than block-size key and a larger than block-size data. The key
//! needs to be hashed before being used by the HMAC algorithm.", RFC 2202
//! uses "Test Using Larger Than Block-Size Key and Larger Than One
//! Block-Size Data".

use super::MacVector;

/// RFC 4231 test cases 1-7 for HMAC-SHA-256 and HMAC-SHA-512; case 5 is
/// truncated to 128 bits, as in the RFC.
pub static VECTORS: &[MacVector] = &[
    MacVector {
        source: "RFC 4231 4.2 (Test Case 1)",
        alg: "hmac-sha256",
        key: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        data: "4869205468657265",
        tag: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    },
    MacVector {
        source: "RFC 4231 4.2 (Test Case 1)",
        alg: "hmac-sha512",
        key: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        data: "4869205468657265",
        tag: "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
    },
    MacVector {
        source: "RFC 4231 4.3 (Test Case 2)",
        alg: "hmac-sha256",
        key: "4a656665",
        data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
        tag: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    },
    MacVector {
        source: "RFC 4231 4.3 (Test Case 2)",
        alg: "hmac-sha512",
        key: "4a656665",
        data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
        tag: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    },
    MacVector {
        source: "RFC 4231 4.4 (Test Case 3)",
        alg: "hmac-sha256",
        key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        data: "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        tag: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    },
    MacVector {
        source: "RFC 4231 4.4 (Test Case 3)",
        alg: "hmac-sha512",
        key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        data: "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        tag: "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
    },
    MacVector {
        source: "RFC 4231 4.5 (Test Case 4)",
        alg: "hmac-sha256",
        key: "0102030405060708090a0b0c0d0e0f10111213141516171819",
        data: "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
        tag: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    },
    MacVector {
        source: "RFC 4231 4.5 (Test Case 4)",
        alg: "hmac-sha512",
        key: "0102030405060708090a0b0c0d0e0f10111213141516171819",
        data: "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
        tag: "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
    },
    MacVector {
        source: "RFC 4231 4.6 (Test Case 5, truncated to 128 bits)",
        alg: "hmac-sha256",
        key: "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
        data: "546573742057697468205472756e636174696f6e",
        tag: "a3b6167473100ee06e0c796c2955552b",
    },
    MacVector {
        source: "RFC 4231 4.6 (Test Case 5, truncated to 128 bits)",
        alg: "hmac-sha512",
        key: "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
        data: "546573742057697468205472756e636174696f6e",
        tag: "415fad6271580a531d4179bc891d87a6",
    },
    MacVector {
        source: "RFC 4231 4.7 (Test Case 6)",
        alg: "hmac-sha256",
        key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        data: "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
        tag: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    },
    MacVector {
        source: "RFC 4231 4.7 (Test Case 6)",
        alg: "hmac-sha512",
        key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        data: "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
        tag: "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
    },
    MacVector {
        source: "RFC 4231 4.8 (Test Case 7)",
        alg: "hmac-sha256",
        key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        data: "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
        tag: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    },
    MacVector {
        source: "RFC 4231 4.8 (Test Case 7)",
        alg: "hmac-sha512",
        key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        data: "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
        tag: "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
    },
];

/// RFC 2202 HMAC-SHA-1 test cases 1-7, with the full 160-bit MAC (for case 5
/// the RFC also lists the 96-bit truncation, which is a prefix of this one).
pub static SHA1: &[MacVector] = &[
    MacVector {
        source: "RFC 2202 3 (HMAC-SHA-1 Test Case 1)",
        alg: "hmac-sha1",
        key: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        data: "4869205468657265",
        tag: "b617318655057264e28bc0b6fb378c8ef146be00",
    },
    MacVector {
        source: "RFC 2202 3 (HMAC-SHA-1 Test Case 2)",
        alg: "hmac-sha1",
        key: "4a656665",
        data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
        tag: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
    },
    MacVector {
        source: "RFC 2202 3 (HMAC-SHA-1 Test Case 3)",
        alg: "hmac-sha1",
        key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        data: "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        tag: "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
    },
    MacVector {
        source: "RFC 2202 3 (HMAC-SHA-1 Test Case 4)",
        alg: "hmac-sha1",
        key: "0102030405060708090a0b0c0d0e0f10111213141516171819",
        data: "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
        tag: "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
    },
    MacVector {
        source: "RFC 2202 3 (HMAC-SHA-1 Test Case 5)",
        alg: "hmac-sha1",
        key: "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
        data: "546573742057697468205472756e636174696f6e",
        tag: "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
    },
    MacVector {
        source: "RFC 2202 3 (HMAC-SHA-1 Test Case 6)",
        alg: "hmac-sha1",
        key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        data: "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
        tag: "aa4ae5e15272d00e95705637ce8a3b55ed402112",
    },
    MacVector {
        source: "RFC 2202 3 (HMAC-SHA-1 Test Case 7)",
        alg: "hmac-sha1",
        key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        data: "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b657920616e64204c6172676572205468616e204f6e6520426c6f636b2d53697a652044617461",
        tag: "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
    },
];
