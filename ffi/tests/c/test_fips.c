/* FIPS mode through the C ABI: the mode query, refusals of non-approved algorithms and of
 * caller-chosen GCM nonces, approved TLS/SSH use, self-tests, configuration checks. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

static const uint8_t KEY[64] = {1, 2, 3};
static const uint8_t IV[16] = {9};

int main(void) {
    wc_engine *e = new_engine(1);
    int on = 0;
    OK(wc_engine_fips_mode(e, &on));
    CHECK(on == 1);

    /* ChaCha20-Poly1305 is refused everywhere. */
    wc_aead *a = (wc_aead *)1;
    EXPECT(WC_ERR_FIPS_REFUSED, wc_aead_new(e, "chacha20-poly1305", KEY, 32, &a));
    CHECK(a == NULL);
    CHECK(strstr(wc_last_error(), "FIPS") != NULL);
    wc_tls_sealer *ts = NULL;
    EXPECT(WC_ERR_FIPS_REFUSED, wc_tls_sealer_new(e, 13, "chacha20-poly1305", KEY, 32, IV, 12, &ts));
    CHECK(ts == NULL);
    wc_ssh_sealer *ss = NULL;
    EXPECT(WC_ERR_FIPS_REFUSED,
           wc_ssh_sealer_new(e, "chacha20-poly1305@openssh.com", NULL, KEY, 64, NULL, 0, NULL, 0, &ss));
    CHECK(ss == NULL);

    /* AES-GCM with a caller-chosen nonce: the key is made, but sealing is refused. */
    OK(wc_aead_new(e, "aes-256-gcm", KEY, 32, &a));
    uint8_t out[64];
    size_t n = 0;
    EXPECT(WC_ERR_FIPS_REFUSED, wc_aead_seal(a, IV, 12, NULL, 0, (const uint8_t *)"hi", 2, out, sizeof out, &n));
    wc_aead_free(a);

    /* A sealer from a caller's key and IV would let the caller choose GCM IVs (and two
     * sealers from one key repeat nonces): refused in FIPS mode, for TLS 1.3 and 1.2.
     * Openers choose no nonce and are allowed. */
    wc_tls_opener *to = NULL;
    ts = (wc_tls_sealer *)1;
    EXPECT(WC_ERR_FIPS_REFUSED, wc_tls_sealer_new(e, 13, "aes-256-gcm", KEY, 32, IV, 12, &ts));
    CHECK(ts == NULL && strstr(wc_last_error(), "wc_tls13_sealer_from_secret") != NULL);
    EXPECT(WC_ERR_FIPS_REFUSED, wc_tls_sealer_new(e, 12, "aes-128-gcm", KEY, 16, IV, 4, &ts));
    OK(wc_tls_opener_new(e, 13, "aes-256-gcm", KEY, 32, IV, 12, &to));
    wc_tls_opener_free(to);

    /* TLS 1.3 AES-GCM records from a traffic secret (key and IV derived inside, the
     * approved nonce construction) work; one secret makes one sealer only. */
    static const uint8_t SECRET[48] = {4, 5, 6};
    OK(wc_tls13_sealer_from_secret(e, "TLS_AES_256_GCM_SHA384", SECRET, 48, &ts));
    OK(wc_tls13_opener_from_secret(e, "aes-256-gcm", SECRET, 48, &to));
    wc_tls_sealer *again = (wc_tls_sealer *)1;
    EXPECT(WC_ERR_FIPS_REFUSED, wc_tls13_sealer_from_secret(e, "aes-256-gcm", SECRET, 48, &again));
    CHECK(again == NULL && strstr(wc_last_error(), "second sealer") != NULL);
    uint8_t rec[64], typ;
    size_t off, len;
    OK(wc_tls_seal(ts, 23, (const uint8_t *)"fips", 4, rec, sizeof rec, &n));
    OK(wc_tls_open(to, rec, n, &typ, &off, &len));
    CHECK(len == 4 && memcmp(rec + off, "fips", 4) == 0);
    wc_tls_sealer_free(ts);
    wc_tls_opener_free(to);
    /* Not even after the first sealer is freed. */
    EXPECT(WC_ERR_FIPS_REFUSED, wc_tls13_sealer_from_secret(e, "aes-256-gcm", SECRET, 48, &again));

    /* A none sealer would send in clear: refused in FIPS mode. A none opener is fine. */
    ss = (wc_ssh_sealer *)1;
    EXPECT(WC_ERR_FIPS_REFUSED, wc_ssh_sealer_new(e, "none", NULL, NULL, 0, NULL, 0, NULL, 0, &ss));
    CHECK(ss == NULL && strstr(wc_last_error(), "none") != NULL);
    wc_ssh_opener *so = NULL;
    OK(wc_ssh_opener_new(e, "none", NULL, NULL, 0, NULL, 0, NULL, 0, &so));
    wc_ssh_opener_free(so);

    /* SSH aes256-ctr with encrypt-then-MAC hmac-sha2-256 is accepted. */
    OK(wc_ssh_sealer_new(e, "aes256-ctr", "hmac-sha2-256-etm@openssh.com", KEY, 32, IV, 16, KEY, 32, &ss));
    wc_ssh_sealer_free(ss);

    /* SSH keys come from the caller's key exchange: a second sealer under an encryption
     * key already used — same IV, another IV, another mode (GCM's counter blocks are
     * CTR's) — could repeat the first one's nonces or keystream, so it is refused for the
     * engine's life. Another key, and openers, are fine. */
    const uint8_t *key2 = KEY + 32;
    static const uint8_t IV2[12] = {10};
    OK(wc_ssh_sealer_new(e, "aes256-gcm@openssh.com", NULL, key2, 32, IV, 12, NULL, 0, &ss));
    wc_ssh_sealer *ss2 = (wc_ssh_sealer *)1;
    EXPECT(WC_ERR_FIPS_REFUSED, wc_ssh_sealer_new(e, "aes256-gcm@openssh.com", NULL, key2, 32, IV, 12, NULL, 0, &ss2));
    CHECK(ss2 == NULL && strstr(wc_last_error(), "second sealer") != NULL);
    wc_ssh_sealer_free(ss);
    EXPECT(WC_ERR_FIPS_REFUSED, wc_ssh_sealer_new(e, "aes256-gcm@openssh.com", NULL, key2, 32, IV, 12, NULL, 0, &ss2));
    EXPECT(WC_ERR_FIPS_REFUSED, wc_ssh_sealer_new(e, "aes256-gcm@openssh.com", NULL, key2, 32, IV2, 12, NULL, 0, &ss2));
    EXPECT(WC_ERR_FIPS_REFUSED,
           wc_ssh_sealer_new(e, "aes256-ctr", "hmac-sha2-512", key2, 32, IV, 16, KEY, 64, &ss2));
    OK(wc_ssh_sealer_new(e, "aes128-gcm@openssh.com", NULL, KEY, 16, IV2, 12, NULL, 0, &ss2));
    wc_ssh_sealer_free(ss2);
    for (int i = 0; i < 2; i++) {
        OK(wc_ssh_opener_new(e, "aes256-gcm@openssh.com", NULL, key2, 32, IV, 12, NULL, 0, &so));
        wc_ssh_opener_free(so);
    }

    /* Self-tests: all pass, with a JSON report. */
    char *json = NULL;
    OK(wc_selftest_run(e, &json));
    CHECK(json != NULL && strstr(json, "AES-256-GCM") != NULL);
    wc_string_free(json);
    OK(wc_engine_probe_json(e, &json));
    CHECK(strstr(json, "\"fips\":true") != NULL);
    wc_string_free(json);
    wc_engine_free(e);

    /* Configuration checks. */
    int compliant = -1;
    OK(wc_fips_check_ciphersuites("TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384", &compliant, NULL));
    CHECK(compliant == 1);
    OK(wc_fips_check_ciphersuites("TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256", &compliant, &json));
    CHECK(compliant == 0);
    CHECK(json != NULL && strstr(json, "TLS_CHACHA20_POLY1305_SHA256") != NULL);
    wc_string_free(json);
    OK(wc_fips_check_sshd_config("Ciphers aes256-gcm@openssh.com,aes128-ctr\nMACs hmac-sha2-256\n"
                                 "KexAlgorithms ecdh-sha2-nistp256\nHostKeyAlgorithms ecdsa-sha2-nistp256\n"
                                 "PubkeyAcceptedAlgorithms ecdsa-sha2-nistp256\n",
                                 &compliant, NULL));
    CHECK(compliant == 1);
    OK(wc_fips_check_sshd_config("Ciphers chacha20-poly1305@openssh.com\n", &compliant, NULL));
    CHECK(compliant == 0);

    /* A self-test broken on purpose (WIRECRYPT_SELFTEST_BREAK) puts a FIPS engine into its
     * error state: every keyed object is refused with WC_ERR_SELF_TEST. */
    setenv("WIRECRYPT_SELFTEST_BREAK", "AES-256-GCM seal/open", 1);
    wc_engine_config cfg = {0};
    cfg.fips = 1;
    OK(wc_engine_new(&cfg, &e));
    unsetenv("WIRECRYPT_SELFTEST_BREAK");
    EXPECT(WC_ERR_SELF_TEST, wc_aead_new(e, "aes-128-gcm", KEY, 16, &a));
    CHECK(a == NULL && strstr(wc_last_error(), "self-test") != NULL);
    EXPECT(WC_ERR_SELF_TEST, wc_tls_sealer_new(e, 13, "aes-128-gcm", KEY, 16, IV, 12, &ts));
    EXPECT(WC_ERR_SELF_TEST, wc_tls13_sealer_from_secret(e, "aes-128-gcm", SECRET, 32, &ts));
    OK(wc_engine_probe_json(e, &json));
    CHECK(strstr(json, "self-test failure") != NULL);
    wc_string_free(json);
    wc_engine_free(e);
    SUMMARY("test_fips");
}
