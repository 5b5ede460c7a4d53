/* The batch calls: wc_tls_seal_batch / wc_ssh_seal_batch write many records or packets
 * into one buffer, and wc_tls_open_buffer / wc_ssh_open_buffer open as many as a receive
 * buffer holds, in place. Bad pointers, overlapping buffers and hostile lengths get a
 * status, never a crash. */
#include <stdint.h>

#include "check.h"

static uint8_t KEY[64], IV[16], MACKEY[64];

static const char *MSGS[] = {"first record of the batch", "", "third, a little longer than the others"};
#define NMSGS 3

static void payload_arrays(const uint8_t *ptrs[NMSGS], size_t lens[NMSGS]) {
    for (int i = 0; i < NMSGS; i++) {
        ptrs[i] = (const uint8_t *)MSGS[i];
        lens[i] = strlen(MSGS[i]);
    }
}

static void tls_batch(wc_engine *e, int version, const char *alg, size_t key_len, size_t iv_len) {
    wc_tls_sealer *s = NULL, *one = NULL;
    wc_tls_opener *o = NULL;
    OK(wc_tls_sealer_new(e, version, alg, KEY, key_len, IV, iv_len, &s));
    OK(wc_tls_sealer_new(e, version, alg, KEY, key_len, IV, iv_len, &one));
    OK(wc_tls_opener_new(e, version, alg, KEY, key_len, IV, iv_len, &o));
    const uint8_t *ptrs[NMSGS];
    size_t lens[NMSGS];
    payload_arrays(ptrs, lens);

    /* Too small: the size needed, nothing sealed. Then the batch, byte for byte what
     * three single seals write. */
    uint8_t wire[512], expected[512];
    size_t n = 0, m = 0, k = 0;
    EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_tls_seal_batch(s, 23, ptrs, lens, NMSGS, NULL, 0, &n));
    size_t needed_size = n;
    OK(wc_tls_seal_batch(s, 23, ptrs, lens, NMSGS, wire, sizeof wire, &n));
    CHECK(n == needed_size);
    for (int i = 0; i < NMSGS; i++) {
        OK(wc_tls_seal(one, 23, ptrs[i], lens[i], expected + m, sizeof expected - m, &k));
        m += k;
    }
    CHECK(n == m && memcmp(wire, expected, n) == 0);

    /* Opened in pieces: a cut header, then two at most, then the rest. */
    wc_opened opened[4];
    size_t count = 99, consumed = 99, needed = 99;
    OK(wc_tls_open_buffer(o, wire, 3, opened, 4, &count, &consumed, &needed));
    CHECK(count == 0 && consumed == 0 && needed == 2);
    OK(wc_tls_open_buffer(o, wire, 7, opened, 4, &count, &consumed, &needed));
    CHECK(count == 0 && consumed == 0 && needed > 0);
    OK(wc_tls_open_buffer(o, wire, n, opened, 2, &count, &consumed, &needed));
    CHECK(count == 2 && needed == 0 && consumed < n);
    for (size_t i = 0; i < count; i++)
        CHECK(opened[i].kind == 23 && opened[i].len == lens[i] &&
              memcmp(wire + opened[i].offset, MSGS[i], lens[i]) == 0);
    size_t at = consumed;
    OK(wc_tls_open_buffer(o, wire + at, n - at, opened, 4, &count, &consumed, &needed));
    CHECK(count == 1 && consumed == n - at && needed == 5);
    CHECK(opened[0].len == lens[2] && memcmp(wire + at + opened[0].offset, MSGS[2], lens[2]) == 0);

    /* A payload inside the output buffer is read before the buffer is written. */
    memcpy(wire + 100, MSGS[0], lens[0]);
    const uint8_t *inside[1] = {wire + 100};
    OK(wc_tls_seal_batch(one, 23, inside, lens, 1, wire, sizeof wire, &n));
    OK(wc_tls_open_buffer(o, wire, n, opened, 4, &count, &consumed, &needed));
    CHECK(count == 1 && memcmp(wire + opened[0].offset, MSGS[0], lens[0]) == 0);

    /* Tampering with the second record: the first is still reported, the second wiped,
     * and the opener is finished. */
    OK(wc_tls_seal_batch(one, 23, ptrs, lens, 2, wire, sizeof wire, &n));
    wire[n - 1] ^= 1;
    EXPECT(WC_ERR_AUTH_FAILED, wc_tls_open_buffer(o, wire, n, opened, 4, &count, &consumed, &needed));
    CHECK(count == 1 && memcmp(wire + opened[0].offset, MSGS[0], lens[0]) == 0);
    EXPECT(WC_ERR_AUTH_FAILED, wc_tls_open_buffer(o, wire, n, opened, 4, &count, &consumed, &needed));

    wc_tls_sealer_free(s);
    wc_tls_sealer_free(one);
    wc_tls_opener_free(o);
}

/* Every argument that can be wrong, on a working opener and sealer. */
static void tls_bad_arguments(wc_engine *e) {
    wc_tls_sealer *s = NULL;
    wc_tls_opener *o = NULL;
    OK(wc_tls_sealer_new(e, 13, "aes-128-gcm", KEY, 16, IV, 12, &s));
    OK(wc_tls_opener_new(e, 13, "aes-128-gcm", KEY, 16, IV, 12, &o));
    const uint8_t *ptrs[NMSGS];
    size_t lens[NMSGS];
    payload_arrays(ptrs, lens);
    uint8_t wire[256];
    wc_opened opened[2];
    size_t count, consumed, needed, n;

    EXPECT(WC_ERR_NULL_POINTER, wc_tls_open_buffer(NULL, wire, 10, opened, 2, &count, &consumed, &needed));
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_open_buffer(o, NULL, 10, opened, 2, &count, &consumed, &needed));
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_open_buffer(o, wire, 10, NULL, 2, &count, &consumed, &needed));
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_open_buffer(o, wire, 10, opened, 2, NULL, &consumed, &needed));
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_open_buffer(o, wire, 10, opened, 2, &count, NULL, &needed));
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_open_buffer(o, wire, 10, opened, 2, &count, &consumed, NULL));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_open_buffer(o, wire, 10, opened, 0, &count, &consumed, &needed));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_open_buffer(o, wire, 10, opened, SIZE_MAX, &count, &consumed, &needed));
    /* Results that would land in the buffer being opened. */
    EXPECT(WC_ERR_INVALID_ARGUMENT,
           wc_tls_open_buffer(o, wire, sizeof wire, (wc_opened *)(void *)(wire + 64), 2, &count, &consumed, &needed));
    EXPECT(WC_ERR_INVALID_ARGUMENT,
           wc_tls_open_buffer(o, wire, sizeof wire, opened, 2, (size_t *)(void *)(wire + 8), &consumed, &needed));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_open_buffer(o, wire, SIZE_MAX, opened, 2, &count, &consumed, &needed));
    /* A hostile record length in the header: refused before anything grows. */
    memset(wire, 0, sizeof wire);
    wire[0] = 23, wire[1] = 3, wire[2] = 3, wire[3] = 0xff, wire[4] = 0xff;
    EXPECT(WC_ERR_RECORD, wc_tls_open_buffer(o, wire, sizeof wire, opened, 2, &count, &consumed, &needed));
    CHECK(count == 0);

    EXPECT(WC_ERR_NULL_POINTER, wc_tls_seal_batch(NULL, 23, ptrs, lens, NMSGS, wire, sizeof wire, &n));
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_seal_batch(s, 23, NULL, lens, NMSGS, wire, sizeof wire, &n));
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_seal_batch(s, 23, ptrs, NULL, NMSGS, wire, sizeof wire, &n));
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_seal_batch(s, 23, ptrs, lens, NMSGS, wire, sizeof wire, NULL));
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_seal_batch(s, 23, ptrs, lens, NMSGS, NULL, sizeof wire, &n));
    const uint8_t *null_payload[1] = {NULL};
    size_t one_len[1] = {4};
    EXPECT(WC_ERR_NULL_POINTER, wc_tls_seal_batch(s, 23, null_payload, one_len, 1, wire, sizeof wire, &n));
    size_t hostile[1] = {SIZE_MAX};
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_seal_batch(s, 23, ptrs, hostile, 1, wire, sizeof wire, &n));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_seal_batch(s, 23, ptrs, lens, SIZE_MAX, wire, sizeof wire, &n));
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_tls_seal_batch(s, 99, ptrs, lens, NMSGS, wire, sizeof wire, &n));
    static uint8_t big[16385];
    const uint8_t *bigp[1] = {big};
    size_t big_len[1] = {sizeof big};
    EXPECT(WC_ERR_RECORD, wc_tls_seal_batch(s, 23, bigp, big_len, 1, wire, sizeof wire, &n));
    /* After all that, the sealer is still at sequence 0. An empty batch writes nothing. */
    OK(wc_tls_seal_batch(s, 23, NULL, NULL, 0, NULL, 0, &n));
    CHECK(n == 0);
    wc_key_usage u = {99, 99};
    OK(wc_tls_sealer_usage(s, &u));
    CHECK(u.sequence == 0);
    wc_tls_sealer_free(s);
    wc_tls_opener_free(o);
}

static void ssh_batch(wc_engine *e, const char *cipher, const char *mac, size_t key_len, size_t iv_len,
                      size_t mac_len) {
    wc_ssh_sealer *s;
    wc_ssh_opener *o;
    if (!ssh_pair(e, cipher, mac, KEY, key_len, IV, iv_len, MACKEY, mac_len, &s, &o)) return;
    const uint8_t *ptrs[NMSGS];
    size_t lens[NMSGS];
    payload_arrays(ptrs, lens);
    uint8_t wire[512];
    size_t n = 0;
    EXPECT(WC_ERR_BUFFER_TOO_SMALL, wc_ssh_seal_batch(s, ptrs, lens, NMSGS, wire, 16, &n));
    size_t needed_size = n;
    OK(wc_ssh_seal_batch(s, ptrs, lens, NMSGS, wire, sizeof wire, &n));
    CHECK(n == needed_size);
    wc_key_usage u = {99, 99};
    OK(wc_ssh_sealer_usage(s, &u));
    CHECK(u.sequence == NMSGS);

    /* A cut header, then one packet at most, then the rest in one call. */
    wc_opened opened[4];
    size_t count = 99, consumed = 99, needed = 99;
    OK(wc_ssh_open_buffer(o, wire, 3, opened, 4, &count, &consumed, &needed));
    CHECK(count == 0 && consumed == 0 && needed >= 1);
    OK(wc_ssh_open_buffer(o, wire, n, opened, 1, &count, &consumed, &needed));
    CHECK(count == 1 && needed == 0);
    CHECK(opened[0].len == lens[0] && opened[0].kind == 'f' && memcmp(wire + opened[0].offset, MSGS[0], lens[0]) == 0);
    size_t at = consumed;
    OK(wc_ssh_open_buffer(o, wire + at, n - at, opened, 4, &count, &consumed, &needed));
    CHECK(count == 2 && consumed == n - at && needed >= 1);
    CHECK(opened[0].len == 0 && opened[0].kind == 0);
    CHECK(opened[1].len == lens[2] && memcmp(wire + at + opened[1].offset, MSGS[2], lens[2]) == 0);

    /* SSH_MSG_NEWKEYS stops the call: the keys change after it. */
    const uint8_t newkeys[1] = {21}, data[2] = {94, 1};
    const uint8_t *two[2] = {newkeys, data};
    size_t two_lens[2] = {1, 2};
    OK(wc_ssh_seal_batch(s, two, two_lens, 2, wire, sizeof wire, &n));
    OK(wc_ssh_open_buffer(o, wire, n, opened, 4, &count, &consumed, &needed));
    CHECK(count == 1 && opened[0].kind == 21 && needed == 0 && consumed < n);
    OK(wc_ssh_open_buffer(o, wire + consumed, n - consumed, opened, 4, &count, &consumed, &needed));
    CHECK(count == 1 && opened[0].kind == 94);

    /* A flipped bit in the last packet: the one before is reported, the opener is done. */
    OK(wc_ssh_seal_batch(s, ptrs, lens, 2, wire, sizeof wire, &n));
    wire[n - 1] ^= 1;
    EXPECT(WC_ERR_AUTH_FAILED, wc_ssh_open_buffer(o, wire, n, opened, 4, &count, &consumed, &needed));
    CHECK(count == 1 && memcmp(wire + opened[0].offset, MSGS[0], lens[0]) == 0);

    /* Bad arguments. */
    EXPECT(WC_ERR_NULL_POINTER, wc_ssh_open_buffer(NULL, wire, n, opened, 4, &count, &consumed, &needed));
    EXPECT(WC_ERR_INVALID_ARGUMENT,
           wc_ssh_open_buffer(o, wire, sizeof wire, (wc_opened *)(void *)(wire + 32), 1, &count, &consumed, &needed));
    EXPECT(WC_ERR_NULL_POINTER, wc_ssh_seal_batch(NULL, ptrs, lens, NMSGS, wire, sizeof wire, &n));
    EXPECT(WC_ERR_NULL_POINTER, wc_ssh_seal_batch(s, NULL, lens, NMSGS, wire, sizeof wire, &n));
    size_t hostile[1] = {SIZE_MAX};
    EXPECT(WC_ERR_INVALID_ARGUMENT, wc_ssh_seal_batch(s, ptrs, hostile, 1, wire, sizeof wire, &n));
    static uint8_t big[1 << 20];
    const uint8_t *bigp[1] = {big};
    size_t big_len[1] = {sizeof big};
    EXPECT(WC_ERR_RECORD, wc_ssh_seal_batch(s, bigp, big_len, 1, wire, sizeof wire, &n));
    wc_ssh_sealer_free(s);
    wc_ssh_opener_free(o);
}

int main(void) {
    for (int i = 0; i < 64; i++) KEY[i] = (uint8_t)(3 * i), MACKEY[i] = (uint8_t)(0x5A ^ i);
    for (int i = 0; i < 16; i++) IV[i] = (uint8_t)(0x70 + i);
    wc_engine *e = new_engine(0);

    tls_batch(e, 13, "aes-128-gcm", 16, 12);
    tls_batch(e, 13, "chacha20-poly1305", 32, 12);
    tls_batch(e, 12, "aes-256-gcm", 32, 4);
    tls_bad_arguments(e);

    ssh_batch(e, "aes256-gcm@openssh.com", NULL, 32, 12, 0);
    ssh_batch(e, "chacha20-poly1305@openssh.com", NULL, 64, 0, 0);
    ssh_batch(e, "aes128-ctr", "hmac-sha2-256", 16, 16, 32);
    ssh_batch(e, "aes256-ctr", "hmac-sha2-512-etm@openssh.com", 32, 16, 64);

    wc_engine_free(e);
    SUMMARY("test_batch");
}
