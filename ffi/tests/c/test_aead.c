/* AEAD known answers (NIST GCM spec test cases 3, 4, 14, 15; RFC 8439 §2.8.2), in-place
 * use, tampering and buffer sizing through wc_aead_*. */
#include "check.h"

struct vector {
    const char *name, *alg, *key, *iv, *aad, *pt, *ct, *tag;
};

static const struct vector VECTORS[] = {
    {"GCM test case 3", "aes-128-gcm", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"GCM test case 4", "aes-128-gcm", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"GCM test case 14", "aes-256-gcm", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"GCM test case 15", "aes-256-gcm", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"RFC 8439 2.8.2", "chacha20-poly1305", "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
     "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
     "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a204966204920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73637265656e20776f756c642062652069742e",
     "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116",
     "1ae10b594f09e26a7e902ecbd0600691"},
};

static void run_vector(wc_engine *e, const struct vector *v) {
    size_t key_len, iv_len, aad_len, pt_len, ct_len, tag_len, n = 0;
    uint8_t *key = unhex(v->key, &key_len), *iv = unhex(v->iv, &iv_len), *aad = unhex(v->aad, &aad_len);
    uint8_t *pt = unhex(v->pt, &pt_len), *ct = unhex(v->ct, &ct_len), *tag = unhex(v->tag, &tag_len);
    wc_aead *a = NULL;
    OK(wc_aead_new(e, v->alg, key, key_len, &a));
    uint8_t *out = malloc(pt_len + 16), *back = malloc(pt_len + 16);

    /* Size query: NULL output with zero capacity. */
    EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_aead_seal(a, iv, iv_len, aad, aad_len, pt, pt_len, NULL, 0, &n));
    CHECK(n == pt_len + 16);

    OK(wc_aead_seal(a, iv, iv_len, aad, aad_len, pt, pt_len, out, pt_len + 16, &n));
    CHECK(n == pt_len + 16);
    CHECK(memcmp(out, ct, ct_len) == 0);
    CHECK(memcmp(out + pt_len, tag, 16) == 0);

    OK(wc_aead_open(a, iv, iv_len, aad, aad_len, out, n, back, pt_len, &n));
    CHECK(n == pt_len && memcmp(back, pt, pt_len) == 0);

    /* In place: seal over the plaintext, open over the ciphertext. */
    memcpy(back, pt, pt_len);
    OK(wc_aead_seal(a, iv, iv_len, aad, aad_len, back, pt_len, back, pt_len + 16, &n));
    CHECK(memcmp(back, out, pt_len + 16) == 0);
    OK(wc_aead_open(a, iv, iv_len, aad, aad_len, back, pt_len + 16, back, pt_len + 16, &n));
    CHECK(n == pt_len && memcmp(back, pt, pt_len) == 0);

    /* A flipped tag bit: refused, nothing released. */
    out[pt_len] ^= 1;
    memset(back, 0xAA, pt_len);
    EXPECT(WC_ERR_AUTH_FAILED, wc_aead_open(a, iv, iv_len, aad, aad_len, out, pt_len + 16, back, pt_len, &n));
    int wiped = 1;
    for (size_t i = 0; i < pt_len; i++) wiped &= back[i] == 0;
    CHECK(wiped);
    CHECK(strstr(wc_last_error(), "authentication failed") != NULL);

    wc_aead_free(a);
    free(key); free(iv); free(aad); free(pt); free(ct); free(tag); free(out); free(back);
}

/* A nonce and AAD kept inside the output buffer (at its front, and where the tag goes):
 * each must be read before anything is written, on every provider. The record is
 * checked against one sealed from separate buffers, and must open again. */
static void nonce_and_aad_inside_out(wc_engine *e, const char *alg, size_t key_len) {
    static const uint8_t key[32] = {7, 7, 7};
    static const uint8_t nonce[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
    static const uint8_t aad[8] = {'h', 'e', 'a', 'd', 'e', 'r', '!', '!'};
    uint8_t pt[40];
    for (size_t i = 0; i < sizeof pt; i++) pt[i] = (uint8_t)(0x30 + i);
    wc_aead *a = NULL;
    OK(wc_aead_new(e, alg, key, key_len, &a));
    uint8_t expected[64];
    size_t n = 0, m = 0;
    OK(wc_aead_seal(a, nonce, 12, aad, 8, pt, sizeof pt, expected, sizeof expected, &n));

    uint8_t out[64];
    memcpy(out, nonce, 12);          /* the nonce where the ciphertext will go */
    memcpy(out + 44, aad, 8);        /* the AAD where the tag will go */
    OK(wc_aead_seal(a, out, 12, out + 44, 8, pt, sizeof pt, out, sizeof out, &m));
    CHECK(m == n && memcmp(out, expected, n) == 0);

    memcpy(out, expected, n);
    uint8_t back[64];
    memcpy(back, nonce, 12);         /* opening, the nonce inside out as well */
    OK(wc_aead_open(a, back, 12, aad, 8, out, n, back, sizeof back, &m));
    CHECK(m == sizeof pt && memcmp(back, pt, sizeof pt) == 0);
    wc_aead_free(a);
}

/* A FIPS-guarded key opens (it only refuses to seal under a caller's nonce): a nonce
 * inside its output buffer is read before anything is written there too — on
 * rustcrypto, whose open writes the output before it decrypts. */
static void nonce_inside_out_fips(void) {
    static const uint8_t key[32] = {7, 7, 7};
    static const uint8_t nonce[12] = {0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb};
    uint8_t pt[40];
    for (size_t i = 0; i < sizeof pt; i++) pt[i] = (uint8_t)(0x60 + i);
    wc_engine_config cfg = {0};
    cfg.provider = "rustcrypto";
    cfg.fips = 1;
    cfg.ignore_env = 1;
    wc_engine *plain = new_engine(0), *fips = NULL;
    OK(wc_engine_new(&cfg, &fips));
    wc_aead *s = NULL, *o = NULL;
    OK(wc_aead_new(plain, "aes-256-gcm", key, 32, &s));
    OK(wc_aead_new(fips, "aes-256-gcm", key, 32, &o));
    uint8_t sealed[64], back[64];
    size_t n = 0, m = 0;
    OK(wc_aead_seal(s, nonce, 12, NULL, 0, pt, sizeof pt, sealed, sizeof sealed, &n));
    memcpy(back, nonce, 12);
    OK(wc_aead_open(o, back, 12, NULL, 0, sealed, n, back, sizeof back, &m));
    CHECK(m == sizeof pt && memcmp(back, pt, sizeof pt) == 0);
    wc_aead_free(s);
    wc_aead_free(o);
    wc_engine_free(plain);
    wc_engine_free(fips);
}

int main(void) {
    wc_engine *e = new_engine(0);
    for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) run_vector(e, &VECTORS[i]);

    /* Every provider the engine offers here must agree; the default selection ran above. */
    char *json = NULL;
    OK(wc_engine_probe_json(e, &json));
    CHECK(json != NULL && strstr(json, "\"providers\"") != NULL && strstr(json, "aes-256-gcm") != NULL);
    wc_string_free(json);

    int fips = -1;
    OK(wc_engine_fips_mode(e, &fips));
    CHECK(fips == 0);
    CHECK(strlen(wc_version()) > 0);
    wc_engine_free(e);

    /* A forced provider by id: rustcrypto is always available. */
    wc_engine_config cfg = {0};
    cfg.provider = "rustcrypto";
    cfg.ignore_env = 1;
    OK(wc_engine_new(&cfg, &e));
    run_vector(e, &VECTORS[1]);
    nonce_and_aad_inside_out(e, "aes-128-gcm", 16);
    nonce_and_aad_inside_out(e, "chacha20-poly1305", 32);
    wc_engine_free(e);
    e = new_engine(0);
    nonce_and_aad_inside_out(e, "aes-256-gcm", 32);
    wc_engine_free(e);
    nonce_inside_out_fips();
    SUMMARY("test_aead");
}
