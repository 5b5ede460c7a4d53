/* A tiny test harness shared by the C tests: CHECK counts each assertion; main() ends
 * with SUMMARY, which prints "<program>: N passed, M failed" and returns nonzero on any
 * failure. */
#ifndef WC_CHECK_H
#define WC_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirecrypt.h"

static int wc_passed, wc_failed;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (cond) {                                                                     \
            wc_passed++;                                                                \
        } else {                                                                        \
            wc_failed++;                                                                \
            fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
                    wc_last_error());                                                   \
        }                                                                               \
    } while (0)

/* A call that must return the given status. */
#define EXPECT(status, call) CHECK((call) == (status))
#define OK(call) EXPECT(WC_OK, call)

#define SUMMARY(name)                                                                   \
    do {                                                                                \
        printf("%s: %d passed, %d failed\n", name, wc_passed, wc_failed);               \
        return wc_failed != 0;                                                          \
    } while (0)

/* Decodes a hex string into a fresh buffer (free it); *len receives its length. */
static inline uint8_t *unhex(const char *hex, size_t *len) {
    size_t n = strlen(hex) / 2;
    uint8_t *out = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    *len = n;
    return out;
}

static inline wc_engine *new_engine(int fips) {
    wc_engine_config cfg = {0};
    cfg.fips = fips;
    cfg.ignore_env = 1;
    wc_engine *e = NULL;
    if (wc_engine_new(&cfg, &e) != WC_OK) {
        fprintf(stderr, "wc_engine_new failed: %s\n", wc_last_error());
        exit(2);
    }
    return e;
}

/* A sealer and an opener of one SSH mode from the same keys; an IV or MAC key of length
 * 0 is passed as NULL. Returns 0, with both freed and the mode printed, when either
 * fails (each constructor call counts as a check). */
static inline int ssh_pair(wc_engine *e, const char *cipher, const char *mac, const uint8_t *key, size_t key_len,
                           const uint8_t *iv, size_t iv_len, const uint8_t *mac_key, size_t mac_len,
                           wc_ssh_sealer **s, wc_ssh_opener **o) {
    iv = iv_len ? iv : NULL;
    mac_key = mac_len ? mac_key : NULL;
    *s = NULL;
    *o = NULL;
    OK(wc_ssh_sealer_new(e, cipher, mac, key, key_len, iv, iv_len, mac_key, mac_len, s));
    OK(wc_ssh_opener_new(e, cipher, mac, key, key_len, iv, iv_len, mac_key, mac_len, o));
    if (*s && *o) return 1;
    fprintf(stderr, "  (mode %s %s)\n", cipher, mac ? mac : "-");
    wc_ssh_sealer_free(*s);
    wc_ssh_opener_free(*o);
    return 0;
}

#endif
