/* The C ABI on a PKCS#11 token (libwirecrypt built with the `pkcs11` feature, the token
 * made by scripts/softhsm-token and named by the WIRECRYPT_PKCS11_* environment): a wrong
 * PIN is refused with the token's code, then AES-GCM known answers and tampering go
 * through the token, ChaCha20-Poly1305 (no PKCS#11 mechanism) is refused without fallback
 * and served with it, the PIN appears in nothing the library prints, and server keys are
 * generated, opened, used and deleted in the token through wc_token_key_*. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <unistd.h>

#include "check.h"

static const char *KEY = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
static const char *IV = "cafebabefacedbaddecaf888";
static const char *PT =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
static const char *CT =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";
static const char *TAG = "b094dac5d93471bdec1a502270e3cc6c";

static char *read_pin(void) {
    const char *path = getenv("WIRECRYPT_PKCS11_PIN_FILE");
    FILE *f = path ? fopen(path, "r") : NULL;
    static char pin[256];
    pin[0] = 0;
    if (f) {
        if (!fgets(pin, sizeof pin, f)) pin[0] = 0;
        fclose(f);
    }
    pin[strcspn(pin, "\r\n")] = 0;
    return pin;
}

/* Server keys in the token: generated there, public half out, signatures in. */
static void token_keys(void) {
    const char *kinds[] = {"ecdsa-p256", "rsa-2048"};
    const char *schemes[] = {"ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"};
    const size_t spki_lens[] = {91, 294};
    for (int i = 0; i < 2; i++) {
        char label[64];
        snprintf(label, sizeof label, "c-%s-%d", kinds[i], (int)getpid());
        wc_token_key *k = NULL, *again = NULL;
        OK(wc_token_key_generate(label, kinds[i], &k));
        EXPECT(WC_ERR_INVALID_ARGUMENT, wc_token_key_generate(label, kinds[i], &again));
        CHECK(again == NULL && strstr(wc_last_error(), "already holds") != NULL);
        uint8_t spki[512], spki2[512], sig[512], sig2[512];
        size_t n = 0, n2 = 0, s1 = 0, s2 = 0;
        EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_token_key_public_spki(k, spki, 10, &n));
        CHECK(n == spki_lens[i]);
        OK(wc_token_key_public_spki(k, spki, sizeof spki, &n));
        CHECK(n == spki_lens[i] && spki[0] == 0x30);
        /* Opened again by label: the same public key. */
        OK(wc_token_key_open(label, &again));
        OK(wc_token_key_public_spki(again, spki2, sizeof spki2, &n2));
        CHECK(n2 == n && memcmp(spki, spki2, n) == 0);
        const uint8_t msg[] = "CertificateVerify content";
        OK(wc_token_key_sign(k, schemes[i], msg, sizeof msg, sig, sizeof sig, &s1));
        OK(wc_token_key_sign(again, schemes[i], msg, sizeof msg, sig2, sizeof sig2, &s2));
        /* ECDSA and PSS are randomized: two signatures differ; RSA-2048's are 256 bytes. */
        CHECK(s1 > 0 && (s1 != s2 || memcmp(sig, sig2, s1) != 0));
        CHECK(i == 0 ? sig[0] == 0x30 : s1 == 256);
        if (i == 1) {
            /* PKCS #1 v1.5 is deterministic. */
            OK(wc_token_key_sign(k, "rsa_pkcs1_sha256", msg, sizeof msg, sig, sizeof sig, &s1));
            OK(wc_token_key_sign(again, "rsa_pkcs1_sha256", msg, sizeof msg, sig2, sizeof sig2, &s2));
            CHECK(s1 == 256 && s2 == 256 && memcmp(sig, sig2, 256) == 0);
        }
        EXPECT(WC_ERR_INVALID_ARGUMENT, wc_token_key_sign(k, "dsa_sha1", msg, sizeof msg, sig, sizeof sig, &s1));
        EXPECT(WC_ERR_INVALID_ARGUMENT, wc_token_key_sign(k, schemes[1 - i], msg, sizeof msg, sig, sizeof sig, &s1));
        EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_token_key_sign(k, schemes[i], msg, sizeof msg, sig, 8, &s1));
        CHECK(s1 > 8);
        size_t deleted = 0;
        OK(wc_token_key_delete(label, &deleted));
        CHECK(deleted == 2);
        wc_token_key *gone = NULL;
        EXPECT(WC_ERR_INVALID_ARGUMENT, wc_token_key_open(label, &gone));
        CHECK(gone == NULL);
        wc_token_key_free(k);
        wc_token_key_free(again);
    }
}

int main(void) {
    const char *pin = read_pin();
    CHECK(strlen(pin) > 0);

    /* A wrong PIN (the environment variable wins over the file): refused, with the code. */
    setenv("WIRECRYPT_PKCS11_PIN", "not-the-pin", 1);
    wc_engine_config cfg = {0};
    cfg.provider = "pkcs11";
    wc_engine *e = NULL;
    EXPECT(WC_ERR_UNSUPPORTED, wc_engine_new(&cfg, &e));
    CHECK(e == NULL);
    CHECK(strstr(wc_last_error(), "CKR_PIN_INCORRECT") != NULL);
    unsetenv("WIRECRYPT_PKCS11_PIN");

    OK(wc_engine_new(&cfg, &e));
    char *json = NULL;
    OK(wc_engine_probe_json(e, &json));
    CHECK(json && strstr(json, "\"pkcs11\"") != NULL);
    CHECK(json && strstr(json, getenv("WIRECRYPT_PKCS11_TOKEN")) != NULL);
    CHECK(json && strstr(json, pin) == NULL);
    wc_string_free(json);

    size_t key_len, iv_len, pt_len, ct_len, tag_len, n = 0;
    uint8_t *key = unhex(KEY, &key_len), *iv = unhex(IV, &iv_len), *pt = unhex(PT, &pt_len);
    uint8_t *ct = unhex(CT, &ct_len), *tag = unhex(TAG, &tag_len);
    uint8_t sealed[128], opened[128];
    wc_aead *a = NULL;
    OK(wc_aead_new(e, "aes-256-gcm", key, key_len, &a));
    OK(wc_aead_seal(a, iv, iv_len, NULL, 0, pt, pt_len, sealed, sizeof sealed, &n));
    CHECK(n == pt_len + 16);
    CHECK(memcmp(sealed, ct, ct_len) == 0);
    CHECK(memcmp(sealed + ct_len, tag, tag_len) == 0);
    OK(wc_aead_open(a, iv, iv_len, NULL, 0, sealed, n, opened, sizeof opened, &n));
    CHECK(n == pt_len && memcmp(opened, pt, pt_len) == 0);

    /* A flipped bit: refused by the token, and nothing released. */
    sealed[5] ^= 1;
    memset(opened, 0xAA, sizeof opened);
    EXPECT(WC_ERR_AUTH_FAILED, wc_aead_open(a, iv, iv_len, NULL, 0, sealed, pt_len + 16, opened, sizeof opened, &n));
    int wiped = 1;
    for (size_t i = 0; i < pt_len; i++) wiped &= opened[i] == 0;
    CHECK(wiped);
    wc_aead_free(a);

    /* ChaCha20-Poly1305 has no PKCS#11 mechanism: refused unless fallback is allowed. */
    wc_aead *c = NULL;
    EXPECT(WC_ERR_UNSUPPORTED, wc_aead_new(e, "chacha20-poly1305", key, key_len, &c));
    CHECK(strstr(wc_last_error(), "pkcs11") != NULL);
    wc_engine_free(e);
    cfg.allow_fallback = 1;
    OK(wc_engine_new(&cfg, &e));
    OK(wc_aead_new(e, "chacha20-poly1305", key, key_len, &c));
    wc_aead_free(c);
    wc_engine_free(e);

    free(key), free(iv), free(pt), free(ct), free(tag);
    token_keys();
    SUMMARY("test_pkcs11");
}
