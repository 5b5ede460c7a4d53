/* TLS 1.3 / 1.2 record and SSH packet round trips through the C ABI: every TLS AEAD,
 * every SSH cipher (and, for CTR, every MAC), streaming length reads, tampering, and the
 * sequence numbers and rekey flags each direction reports. */
#include "check.h"

static uint8_t KEY[64], IV[16], MACKEY[64];

static void tls_round_trip(wc_engine *e, int version, const char *alg, size_t key_len, size_t iv_len) {
    wc_tls_sealer *s = NULL;
    wc_tls_opener *o = NULL;
    OK(wc_tls_sealer_new(e, version, alg, KEY, key_len, IV, iv_len, &s));
    OK(wc_tls_opener_new(e, version, alg, KEY, key_len, IV, iv_len, &o));
    const char *msgs[] = {"GET /file HTTP/1.1\r\n", "", "second record"};
    for (int i = 0; i < 3; i++) {
        uint8_t rec[256];
        size_t n = 0, off = 99, len = 99;
        uint8_t typ = 0;
        size_t mlen = strlen(msgs[i]);
        EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_tls_seal(s, 23, (const uint8_t *)msgs[i], mlen, rec, 5, &n));
        CHECK(n > mlen + 5);
        OK(wc_tls_seal(s, 23, (const uint8_t *)msgs[i], mlen, rec, sizeof rec, &n));
        CHECK(rec[0] == 23 && (size_t)((rec[3] << 8) | rec[4]) == n - 5);
        OK(wc_tls_open(o, rec, n, &typ, &off, &len));
        CHECK(typ == 23 && len == mlen && memcmp(rec + off, msgs[i], mlen) == 0);
    }
    /* Both directions know where they stand: three records each, no KeyUpdate due. */
    wc_key_usage u = {99, 99};
    OK(wc_tls_sealer_usage(s, &u));
    CHECK(u.sequence == 3 && u.rekey_due == 0);
    u.sequence = 99;
    OK(wc_tls_opener_usage(o, &u));
    CHECK(u.sequence == 3 && u.rekey_due == 0);
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_sealer_usage(NULL, &u));
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_opener_usage(o, NULL));
    /* A tampered record is refused and ends the opener (RFC 8446 §5.2): the genuine
     * record is refused after it too, so a caller that retries gives a forger one try. */
    uint8_t rec[256], copy[256];
    size_t n = 0, off, len;
    uint8_t typ;
    OK(wc_tls_seal(s, 22, (const uint8_t *)"hs", 2, rec, sizeof rec, &n));
    memcpy(copy, rec, n);
    rec[n - 1] ^= 0x80;
    EXPECT(WC_ERR_AUTH_FAILED, wc_tls_open(o, rec, n, &typ, &off, &len));
    OK(wc_tls_opener_usage(o, &u));
    CHECK(u.sequence == 3); /* a refused record does not advance the opener */
    EXPECT(WC_ERR_AUTH_FAILED, wc_tls_open(o, copy, n, &typ, &off, &len));
    CHECK(strstr(wc_last_error(), "authentication failed") != NULL);
    wc_tls_sealer_free(s);
    wc_tls_opener_free(o);

    /* A fresh pair: a truncated buffer is the caller's framing and ends nothing; a
     * replayed record has the wrong sequence number and is refused. */
    OK(wc_tls_sealer_new(e, version, alg, KEY, key_len, IV, iv_len, &s));
    OK(wc_tls_opener_new(e, version, alg, KEY, key_len, IV, iv_len, &o));
    OK(wc_tls_seal(s, 23, (const uint8_t *)"x", 1, rec, sizeof rec, &n));
    memcpy(copy, rec, n);
    EXPECT(WC_ERR_RECORD, wc_tls_open(o, rec, 3, &typ, &off, &len));
    OK(wc_tls_open(o, rec, n, &typ, &off, &len));
    CHECK(typ == 23 && len == 1 && rec[off] == 'x');
    EXPECT(WC_ERR_AUTH_FAILED, wc_tls_open(o, copy, n, &typ, &off, &len));
    /* Bad content type, oversized content. */
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_seal(s, 99, (const uint8_t *)"x", 1, rec, sizeof rec, &n));
    static uint8_t big[16385 + 64];
    EXPECT(WC_ERR_RECORD, wc_tls_seal(s, 23, big, 16385, big, sizeof big, &n));
    wc_tls_sealer_free(s);
    wc_tls_opener_free(o);
}

static void ssh_round_trip(wc_engine *e, const char *cipher, const char *mac, size_t key_len, size_t iv_len,
                           size_t mac_len) {
    wc_ssh_sealer *s;
    wc_ssh_opener *o;
    if (!ssh_pair(e, cipher, mac, KEY, key_len, IV, iv_len, MACKEY, mac_len, &s, &o)) return;
    const char payload[] = "\x5e" "SSH_MSG_CHANNEL_DATA: some file bytes";
    for (int i = 0; i < 3; i++) {
        uint8_t pkt[512];
        size_t n = 0, hl = 0, rest = 0, off = 0, len = 0;
        OK(wc_ssh_seal(s, (const uint8_t *)payload, sizeof payload - 1, pkt, sizeof pkt, &n));
        if (i == 1) {
            /* Streaming: read the header, learn the rest, then open the whole packet. */
            OK(wc_ssh_header_len(o, &hl));
            CHECK(hl == 4 || hl == 16);
            OK(wc_ssh_packet_length(o, pkt, hl, &rest));
            CHECK(hl + rest == n);
        }
        OK(wc_ssh_open(o, pkt, n, &off, &len));
        CHECK(len == sizeof payload - 1 && memcmp(pkt + off, payload, len) == 0);
    }
    wc_key_usage u = {99, 99};
    OK(wc_ssh_sealer_usage(s, &u));
    CHECK(u.sequence == 3 && u.rekey_due == 0);
    u.sequence = 99;
    OK(wc_ssh_opener_usage(o, &u));
    CHECK(u.sequence == 3 && u.rekey_due == 0);
    EXPECT(WC_ERR_NULL_POINTER, wc_ssh_opener_usage(NULL, &u));
    EXPECT(WC_ERR_NULL_POINTER, wc_ssh_sealer_usage(s, NULL));
    /* A flipped bit in the last byte (MAC or tag): refused. */
    uint8_t pkt[512];
    size_t n = 0, off, len;
    OK(wc_ssh_seal(s, (const uint8_t *)"x", 1, pkt, sizeof pkt, &n));
    pkt[n - 1] ^= 1;
    EXPECT(WC_ERR_AUTH_FAILED, wc_ssh_open(o, pkt, n, &off, &len));
    /* Buffer sizing. */
    EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_ssh_seal(s, (const uint8_t *)"x", 1, NULL, 0, &n));
    CHECK(n >= 16);
    wc_ssh_sealer_free(s);
    wc_ssh_opener_free(o);
}

/* TLS 1.3 keys from a traffic secret: RFC 8448 §3's server handshake traffic secret
 * derives the write key and IV of that trace, so an opener given those opens what the
 * sealer made from the secret. A secret of the wrong length is refused. */
static void tls13_from_secret(wc_engine *e) {
    static const uint8_t secret[32] = {
        0xb6, 0x7b, 0x7d, 0x69, 0x0c, 0xc1, 0x6c, 0x4e, 0x75, 0xe5, 0x42, 0x13, 0xcb, 0x2d, 0x37, 0xb4,
        0xe9, 0xc9, 0x12, 0xbc, 0xde, 0xd9, 0x10, 0x5d, 0x42, 0xbe, 0xfd, 0x59, 0xd3, 0x91, 0xad, 0x38};
    static const uint8_t key[16] = {0x3f, 0xce, 0x51, 0x60, 0x09, 0xc2, 0x17, 0x27,
                                    0xd0, 0xf2, 0xe4, 0xe8, 0x6e, 0xe4, 0x03, 0xbc};
    static const uint8_t iv[12] = {0x5d, 0x31, 0x3e, 0xb2, 0x67, 0x12, 0x76, 0xee, 0x13, 0x00, 0x0b, 0x30};
    wc_tls_sealer *s = NULL;
    wc_tls_opener *o = NULL;
    OK(wc_tls13_sealer_from_secret(e, "TLS_AES_128_GCM_SHA256", secret, sizeof secret, &s));
    OK(wc_tls_opener_new(e, 13, "aes-128-gcm", key, sizeof key, iv, sizeof iv, &o));
    uint8_t rec[64], typ = 0;
    size_t n = 0, off = 0, len = 0;
    OK(wc_tls_seal(s, 22, (const uint8_t *)"derived", 7, rec, sizeof rec, &n));
    OK(wc_tls_open(o, rec, n, &typ, &off, &len));
    CHECK(typ == 22 && len == 7 && memcmp(rec + off, "derived", 7) == 0);
    wc_tls_sealer_free(s);
    wc_tls_opener_free(o);
    OK(wc_tls13_opener_from_secret(e, "aes-128-gcm", secret, sizeof secret, &o));
    wc_tls_opener_free(o);
    s = (wc_tls_sealer *)1;
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls13_sealer_from_secret(e, "aes-256-gcm", secret, 32, &s));
    CHECK(s == NULL && strstr(wc_last_error(), "48") != NULL);
    EXPECT(WC_ERR_NULL_POINTER, wc_tls13_sealer_from_secret(e, "aes-128-gcm", NULL, 32, &s));
}

/* The results of an open written into the record or packet being opened would corrupt
 * it (zeroed before the open, a record fails and ends the connection): an out-pointer
 * inside the buffer is refused, with nothing written, and the opener carries on. */
static void results_outside_the_buffer(wc_engine *e) {
    wc_tls_sealer *s = NULL;
    wc_tls_opener *o = NULL;
    OK(wc_tls_sealer_new(e, 13, "aes-128-gcm", KEY, 16, IV, 12, &s));
    OK(wc_tls_opener_new(e, 13, "aes-128-gcm", KEY, 16, IV, 12, &o));
    size_t words[16]; /* a record, aligned so that a size_t out-pointer fits inside */
    uint8_t *rec = (uint8_t *)words, copy[sizeof words], typ = 0;
    size_t n = 0, off = 0, len = 0;
    OK(wc_tls_seal(s, 23, (const uint8_t *)"inside", 6, rec, sizeof words, &n));
    CHECK(n == 28);
    memcpy(copy, rec, n);
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_open(o, rec, n, &typ, &off, &words[2]));
    CHECK(strstr(wc_last_error(), "plaintext_len overlaps record") != NULL);
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_open(o, rec, n, rec + 7, &off, &len));
    CHECK(memcmp(rec, copy, n) == 0);
    OK(wc_tls_open(o, rec, n, &typ, &off, &len));
    CHECK(typ == 23 && len == 6 && memcmp(rec + off, "inside", 6) == 0);
    wc_tls_sealer_free(s);
    wc_tls_opener_free(o);

    wc_ssh_sealer *ss;
    wc_ssh_opener *so;
    if (!ssh_pair(e, "aes128-gcm@openssh.com", NULL, KEY, 16, IV, 12, NULL, 0, &ss, &so)) return;
    uint8_t *pkt = (uint8_t *)words;
    OK(wc_ssh_seal(ss, (const uint8_t *)"\x5einside", 7, pkt, sizeof words, &n));
    CHECK(n == 36);
    memcpy(copy, pkt, n);
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_ssh_packet_length(so, pkt, 4, &words[0]));
    CHECK(strstr(wc_last_error(), "remaining overlaps first_bytes") != NULL);
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_ssh_open(so, pkt, n, &off, &words[1]));
    CHECK(strstr(wc_last_error(), "payload_len overlaps packet") != NULL);
    CHECK(memcmp(pkt, copy, n) == 0);
    OK(wc_ssh_open(so, pkt, n, &off, &len));
    CHECK(len == 7 && memcmp(pkt + off, "\x5einside", 7) == 0);
    wc_ssh_sealer_free(ss);
    wc_ssh_opener_free(so);
}

int main(void) {
    for (int i = 0; i < 64; i++) KEY[i] = (uint8_t)i, MACKEY[i] = (uint8_t)(0xA0 ^ i);
    for (int i = 0; i < 16; i++) IV[i] = (uint8_t)(0x50 + i);
    wc_engine *e = new_engine(0);

    tls_round_trip(e, 13, "aes-128-gcm", 16, 12);
    tls_round_trip(e, 13, "TLS_AES_256_GCM_SHA384", 32, 12);
    tls_round_trip(e, 13, "chacha20-poly1305", 32, 12);
    tls_round_trip(e, 12, "aes-128-gcm", 16, 4);
    tls_round_trip(e, 12, "aes-256-gcm", 32, 4);
    tls_round_trip(e, 12, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 32, 12);
    tls13_from_secret(e);
    results_outside_the_buffer(e);

    const char *ctr[] = {"aes128-ctr", "aes192-ctr", "aes256-ctr"};
    const size_t ctr_keys[] = {16, 24, 32};
    const char *macs[] = {"hmac-sha2-256", "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512",
                          "hmac-sha2-512-etm@openssh.com", "hmac-sha1", "hmac-sha1-etm@openssh.com"};
    const size_t mac_keys[] = {32, 32, 64, 64, 20, 20};
    for (int c = 0; c < 3; c++)
        for (int m = 0; m < 6; m++) ssh_round_trip(e, ctr[c], macs[m], ctr_keys[c], 16, mac_keys[m]);
    ssh_round_trip(e, "aes128-gcm@openssh.com", NULL, 16, 12, 0);
    ssh_round_trip(e, "aes256-gcm@openssh.com", NULL, 32, 12, 0);
    ssh_round_trip(e, "chacha20-poly1305@openssh.com", NULL, 64, 0, 0);

    /* Handles outlive the engine. */
    wc_aead *a = NULL;
    OK(wc_aead_new(e, "aes-256-gcm", KEY, 32, &a));
    wc_engine_free(e);
    uint8_t out[32];
    size_t n;
    OK(wc_aead_seal(a, IV, 12, NULL, 0, (const uint8_t *)"after", 5, out, sizeof out, &n));
    wc_aead_free(a);
    SUMMARY("test_records");
}
