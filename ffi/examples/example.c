/* Seal and open one message with AES-256-GCM, then protect one TLS 1.3 record.
 * Build: gcc -Iffi/include example.c -Ltarget/release -lwirecrypt */
#include <stdio.h>
#include <string.h>

#include "wirecrypt.h"

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, wc_last_error());
    return 1;
}

int main(void) {
    wc_engine *engine = NULL;
    if (wc_engine_new(NULL, &engine) != WC_OK) return fail("wc_engine_new");

    uint8_t key[32] = {7}, nonce[12] = {0};
    const char *msg = "hello, file transfer";
    uint8_t sealed[64], opened[64];
    size_t sealed_len, opened_len;

    wc_aead *aead = NULL;
    if (wc_aead_new(engine, "aes-256-gcm", key, sizeof key, &aead) != WC_OK) return fail("wc_aead_new");
    if (wc_aead_seal(aead, nonce, sizeof nonce, (const uint8_t *)"header", 6, (const uint8_t *)msg,
                     strlen(msg), sealed, sizeof sealed, &sealed_len) != WC_OK)
        return fail("wc_aead_seal");
    printf("sealed %zu bytes (ciphertext + 16-byte tag): ", sealed_len);
    for (size_t i = 0; i < sealed_len; i++) printf("%02x", sealed[i]);
    printf("\n");

    if (wc_aead_open(aead, nonce, sizeof nonce, (const uint8_t *)"header", 6, sealed, sealed_len, opened,
                     sizeof opened, &opened_len) != WC_OK)
        return fail("wc_aead_open");
    printf("opened: %.*s\n", (int)opened_len, (const char *)opened);

    sealed[0] ^= 1;
    wc_status st = wc_aead_open(aead, nonce, sizeof nonce, (const uint8_t *)"header", 6, sealed, sealed_len,
                                opened, sizeof opened, &opened_len);
    printf("tampered: status %d, %s\n", (int)st, wc_last_error());
    wc_aead_free(aead);

    /* One TLS 1.3 record each way, from a traffic key and IV. */
    uint8_t iv[12] = {1};
    wc_tls_sealer *tx = NULL;
    wc_tls_opener *rx = NULL;
    if (wc_tls_sealer_new(engine, 13, "TLS_AES_128_GCM_SHA256", key, 16, iv, 12, &tx) != WC_OK ||
        wc_tls_opener_new(engine, 13, "TLS_AES_128_GCM_SHA256", key, 16, iv, 12, &rx) != WC_OK)
        return fail("wc_tls_*_new");
    uint8_t record[128], type;
    size_t record_len, off, len;
    if (wc_tls_seal(tx, 23, (const uint8_t *)msg, strlen(msg), record, sizeof record, &record_len) != WC_OK)
        return fail("wc_tls_seal");
    if (wc_tls_open(rx, record, record_len, &type, &off, &len) != WC_OK) return fail("wc_tls_open");
    printf("TLS 1.3 record of %zu bytes, content type %u: %.*s\n", record_len, type, (int)len,
           (const char *)record + off);

    wc_tls_sealer_free(tx);
    wc_tls_opener_free(rx);
    wc_engine_free(engine);
    return 0;
}
