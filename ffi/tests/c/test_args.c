/* Every bad-pointer and bad-length path of the C ABI returns its status, leaves *out
 * NULL, and sets a message. NULL with zero length is accepted for data. */
#include "check.h"

static const uint8_t K[64];
static const uint8_t IV[16];

#define NULLP(call)                                                                     \
    do {                                                                                \
        EXPECT(WC_ERR_NULL_POINTER, call);                                              \
        CHECK(strstr(wc_last_error(), "NULL") != NULL);                                 \
    } while (0)

static void engine_args(void) {
    wc_engine *e = (wc_engine *)1;
    NULLP(wc_engine_new(NULL, NULL));
    wc_engine_config cfg = {0};
    cfg.provider = "no-such-provider";
    EXPECT(WC_ERR_UNSUPPORTED, wc_engine_new(&cfg, &e));
    CHECK(e == NULL);
    CHECK(strstr(wc_last_error(), "rustcrypto") != NULL);
    cfg.provider = "\xff\xfe";
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_engine_new(&cfg, &e));
    OK(wc_engine_new(NULL, &e)); /* NULL config: defaults */
    CHECK(wc_last_error()[0] == '\0');
    char *s = NULL;
    int on;
    NULLP(wc_engine_probe_json(NULL, &s));
    NULLP(wc_engine_probe_json(e, NULL));
    NULLP(wc_engine_fips_mode(NULL, &on));
    NULLP(wc_engine_fips_mode(e, NULL));
    NULLP(wc_selftest_run(NULL, &s));
    NULLP(wc_selftest_run(e, NULL));
    NULLP(wc_fips_check_ciphersuites(NULL, &on, NULL));
    NULLP(wc_fips_check_ciphersuites("TLS_AES_128_GCM_SHA256", NULL, NULL));
    NULLP(wc_fips_check_sshd_config(NULL, &on, NULL));
    NULLP(wc_fips_check_sshd_config("", NULL, NULL));
    wc_engine_free(NULL);
    wc_string_free(NULL);
    wc_engine_free(e);
}

static void aead_args(wc_engine *e) {
    wc_aead *a = (wc_aead *)1;
    NULLP(wc_aead_new(NULL, "aes-128-gcm", K, 16, &a));
    CHECK(a == NULL);
    NULLP(wc_aead_new(e, NULL, K, 16, &a));
    NULLP(wc_aead_new(e, "aes-128-gcm", NULL, 16, &a));
    NULLP(wc_aead_new(e, "aes-128-gcm", K, 16, NULL));
    EXPECT(WC_ERR_UNSUPPORTED, wc_aead_new(e, "des-cbc", K, 8, &a));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_aead_new(e, "aes-128-gcm", K, 15, &a));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_aead_new(e, "aes-128-gcm", NULL, 0, &a));
    CHECK(a == NULL);
    OK(wc_aead_new(e, "aes-128-gcm", K, 16, &a));

    uint8_t out[64], in[32] = {0};
    size_t n = 7;
    NULLP(wc_aead_seal(NULL, IV, 12, NULL, 0, in, 4, out, 64, &n));
    NULLP(wc_aead_seal(a, NULL, 12, NULL, 0, in, 4, out, 64, &n));
    NULLP(wc_aead_seal(a, IV, 12, NULL, 5, in, 4, out, 64, &n));
    NULLP(wc_aead_seal(a, IV, 12, NULL, 0, NULL, 4, out, 64, &n));
    NULLP(wc_aead_seal(a, IV, 12, NULL, 0, in, 4, NULL, 64, &n));
    NULLP(wc_aead_seal(a, IV, 12, NULL, 0, in, 4, out, 64, NULL));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_aead_seal(a, IV, 11, NULL, 0, in, 4, out, 64, &n));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_aead_seal(a, NULL, 0, NULL, 0, in, 4, out, 64, &n));
    EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_aead_seal(a, IV, 12, NULL, 0, in, 4, out, 19, &n));
    CHECK(n == 20);
    /* Empty message, NULL data with zero length: just a tag. */
    OK(wc_aead_seal(a, IV, 12, NULL, 0, NULL, 0, out, 16, &n));
    CHECK(n == 16);
    OK(wc_aead_open(a, IV, 12, NULL, 0, out, 16, NULL, 0, &n));
    CHECK(n == 0);

    NULLP(wc_aead_open(NULL, IV, 12, NULL, 0, out, 16, out, 64, &n));
    NULLP(wc_aead_open(a, IV, 12, NULL, 0, NULL, 16, out, 64, &n));
    NULLP(wc_aead_open(a, IV, 12, NULL, 0, out, 20, NULL, 4, &n));
    NULLP(wc_aead_open(a, IV, 12, NULL, 0, out, 16, out, 64, NULL));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_aead_open(a, IV, 12, NULL, 0, out, 15, out, 64, &n));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_aead_open(a, IV, 13, NULL, 0, out, 16, out, 64, &n));
    OK(wc_aead_seal(a, IV, 12, NULL, 0, in, 8, out, 64, &n));
    EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_aead_open(a, IV, 12, NULL, 0, out, 24, in, 7, &n));
    CHECK(n == 8);
    EXPECT(WC_ERR_AUTH_FAILED, wc_aead_open(a, IV, 12, (const uint8_t *)"x", 1, out, 24, in, 8, &n));
    wc_aead_free(a);
    wc_aead_free(NULL);
}

static void tls_args(wc_engine *e) {
    wc_tls_sealer *s = (wc_tls_sealer *)1;
    wc_tls_opener *o = (wc_tls_opener *)1;
    NULLP(wc_tls_sealer_new(NULL, 13, "aes-128-gcm", K, 16, IV, 12, &s));
    CHECK(s == NULL);
    NULLP(wc_tls_sealer_new(e, 13, NULL, K, 16, IV, 12, &s));
    NULLP(wc_tls_sealer_new(e, 13, "aes-128-gcm", NULL, 16, IV, 12, &s));
    NULLP(wc_tls_sealer_new(e, 13, "aes-128-gcm", K, 16, NULL, 12, &s));
    NULLP(wc_tls_sealer_new(e, 13, "aes-128-gcm", K, 16, IV, 12, NULL));
    NULLP(wc_tls_opener_new(NULL, 13, "aes-128-gcm", K, 16, IV, 12, &o));
    CHECK(o == NULL);
    NULLP(wc_tls_opener_new(e, 13, "aes-128-gcm", K, 16, IV, 12, NULL));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_sealer_new(e, 11, "aes-128-gcm", K, 16, IV, 12, &s));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_sealer_new(e, 13, "aes-128-gcm", K, 16, IV, 4, &s));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_sealer_new(e, 12, "aes-128-gcm", K, 16, IV, 12, &s));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_opener_new(e, 13, "aes-256-gcm", K, 16, IV, 12, &o));
    EXPECT(WC_ERR_UNSUPPORTED, wc_tls_opener_new(e, 13, "aes-128-cbc", K, 16, IV, 12, &o));
    OK(wc_tls_sealer_new(e, 13, "aes-128-gcm", K, 16, IV, 12, &s));
    OK(wc_tls_opener_new(e, 13, "aes-128-gcm", K, 16, IV, 12, &o));

    uint8_t rec[64], typ;
    size_t n, off, len;
    NULLP(wc_tls_seal(NULL, 23, (const uint8_t *)"x", 1, rec, sizeof rec, &n));
    NULLP(wc_tls_seal(s, 23, NULL, 1, rec, sizeof rec, &n));
    NULLP(wc_tls_seal(s, 23, (const uint8_t *)"x", 1, NULL, sizeof rec, &n));
    NULLP(wc_tls_seal(s, 23, (const uint8_t *)"x", 1, rec, sizeof rec, NULL));
    EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_tls_seal(s, 23, (const uint8_t *)"x", 1, NULL, 0, &n));
    CHECK(n == 5 + 1 + 1 + 16);
    OK(wc_tls_seal(s, 23, NULL, 0, rec, sizeof rec, &n)); /* empty application data */
    NULLP(wc_tls_open(NULL, rec, n, &typ, &off, &len));
    NULLP(wc_tls_open(o, NULL, n, &typ, &off, &len));
    NULLP(wc_tls_open(o, rec, n, NULL, &off, &len));
    NULLP(wc_tls_open(o, rec, n, &typ, NULL, &len));
    NULLP(wc_tls_open(o, rec, n, &typ, &off, NULL));
    EXPECT(WC_ERR_RECORD, wc_tls_open(o, NULL, 0, &typ, &off, &len));
    EXPECT(WC_ERR_RECORD, wc_tls_open(o, rec, n - 1, &typ, &off, &len));
    OK(wc_tls_open(o, rec, n, &typ, &off, &len));
    CHECK(len == 0 && typ == 23);
    wc_tls_sealer_free(s);
    wc_tls_opener_free(o);
    wc_tls_sealer_free(NULL);
    wc_tls_opener_free(NULL);
}

static void ssh_args(wc_engine *e) {
    wc_ssh_sealer *s = (wc_ssh_sealer *)1;
    wc_ssh_opener *o = (wc_ssh_opener *)1;
    const char *gcm = "aes128-gcm@openssh.com";
    NULLP(wc_ssh_sealer_new(NULL, gcm, NULL, K, 16, IV, 12, NULL, 0, &s));
    CHECK(s == NULL);
    NULLP(wc_ssh_sealer_new(e, NULL, NULL, K, 16, IV, 12, NULL, 0, &s));
    NULLP(wc_ssh_sealer_new(e, gcm, NULL, NULL, 16, IV, 12, NULL, 0, &s));
    NULLP(wc_ssh_sealer_new(e, gcm, NULL, K, 16, NULL, 12, NULL, 0, &s));
    NULLP(wc_ssh_sealer_new(e, "aes128-ctr", "hmac-sha2-256", K, 16, IV, 16, NULL, 32, &s));
    NULLP(wc_ssh_sealer_new(e, gcm, NULL, K, 16, IV, 12, NULL, 0, NULL));
    NULLP(wc_ssh_opener_new(NULL, gcm, NULL, K, 16, IV, 12, NULL, 0, &o));
    CHECK(o == NULL);
    NULLP(wc_ssh_opener_new(e, gcm, NULL, K, 16, IV, 12, NULL, 0, NULL));
    EXPECT(WC_ERR_UNSUPPORTED, wc_ssh_sealer_new(e, "3des-cbc", NULL, K, 24, IV, 8, NULL, 0, &s));
    EXPECT(WC_ERR_UNSUPPORTED, wc_ssh_sealer_new(e, "aes128-ctr", "umac-64@openssh.com", K, 16, IV, 16, K, 16, &s));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_ssh_sealer_new(e, "aes128-ctr", NULL, K, 16, IV, 16, NULL, 0, &s));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_ssh_sealer_new(e, gcm, NULL, K, 15, IV, 12, NULL, 0, &s));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_ssh_opener_new(e, gcm, NULL, K, 16, IV, 11, NULL, 0, &o));
    OK(wc_ssh_sealer_new(e, gcm, NULL, K, 16, IV, 12, NULL, 0, &s));
    OK(wc_ssh_opener_new(e, gcm, NULL, K, 16, IV, 12, NULL, 0, &o));

    uint8_t pkt[128];
    size_t n, hl, rest, off, len;
    NULLP(wc_ssh_seal(NULL, (const uint8_t *)"x", 1, pkt, sizeof pkt, &n));
    NULLP(wc_ssh_seal(s, NULL, 1, pkt, sizeof pkt, &n));
    NULLP(wc_ssh_seal(s, (const uint8_t *)"x", 1, NULL, sizeof pkt, &n));
    NULLP(wc_ssh_seal(s, (const uint8_t *)"x", 1, pkt, sizeof pkt, NULL));
    EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_ssh_seal(s, (const uint8_t *)"x", 1, pkt, 8, &n));
    OK(wc_ssh_seal(s, NULL, 0, pkt, sizeof pkt, &n)); /* empty payload */
    NULLP(wc_ssh_header_len(NULL, &hl));
    NULLP(wc_ssh_header_len(o, NULL));
    NULLP(wc_ssh_packet_length(NULL, pkt, 4, &rest));
    NULLP(wc_ssh_packet_length(o, NULL, 4, &rest));
    NULLP(wc_ssh_packet_length(o, pkt, 4, NULL));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_ssh_packet_length(o, pkt, 3, &rest));
    NULLP(wc_ssh_open(NULL, pkt, n, &off, &len));
    NULLP(wc_ssh_open(o, NULL, n, &off, &len));
    NULLP(wc_ssh_open(o, pkt, n, NULL, &len));
    NULLP(wc_ssh_open(o, pkt, n, &off, NULL));
    /* A short packet is an argument error and the opener can still take the whole one. */
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_ssh_open(o, pkt, n - 1, &off, &len));
    OK(wc_ssh_open(o, pkt, n, &off, &len));
    CHECK(len == 0);
    /* A length field that breaks the framing rules: refused, and the opener is finished. */
    OK(wc_ssh_seal(s, (const uint8_t *)"y", 1, pkt, sizeof pkt, &n));
    pkt[0] = 0xff;
    EXPECT(WC_ERR_RECORD, wc_ssh_open(o, pkt, n, &off, &len));
    wc_ssh_sealer_free(s);
    wc_ssh_opener_free(o);
    wc_ssh_sealer_free(NULL);
    wc_ssh_opener_free(NULL);
}

/* Token keys in a library built without the pkcs11 feature: refused, with a reason;
 * NULL arguments are still NULL-pointer errors, and freeing NULL is a no-op. */
static void token_args(void) {
    wc_token_key *k = (wc_token_key *)1;
    EXPECT(WC_ERR_UNSUPPORTED, wc_token_key_open("server", &k));
    CHECK(k == NULL);
    CHECK(strstr(wc_last_error(), "pkcs11") != NULL);
    EXPECT(WC_ERR_UNSUPPORTED, wc_token_key_generate("server", "ecdsa-p256", &k));
    size_t n = 7;
    EXPECT(WC_ERR_UNSUPPORTED, wc_token_key_delete("server", &n));
    CHECK(n == 0);
    EXPECT(WC_ERR_NULL_POINTER, wc_token_key_open(NULL, &k));
    EXPECT(WC_ERR_NULL_POINTER, wc_token_key_open("server", NULL));
    EXPECT(WC_ERR_NULL_POINTER, wc_token_key_sign(NULL, "rsa_pss_rsae_sha256", NULL, 0, NULL, 0, &n));
    EXPECT(WC_ERR_NULL_POINTER, wc_token_key_public_spki(NULL, NULL, 0, &n));
    wc_token_key_free(NULL);
}

int main(void) {
    engine_args();
    token_args();
    wc_engine *e = new_engine(0);
    aead_args(e);
    tls_args(e);
    ssh_args(e);
    wc_engine_free(e);
    SUMMARY("test_args");
}
