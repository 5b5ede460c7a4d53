"""Seal and open one message with AES-256-GCM through libwirecrypt, from Python ctypes.

Run: WIRECRYPT_LIB=target/release/libwirecrypt.so python3 ffi/examples/example.py
"""
import ctypes
import json
import os

lib = ctypes.CDLL(os.environ.get("WIRECRYPT_LIB", "libwirecrypt.so"))
u8p, size_t, c_int = ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int
lib.wc_last_error.restype = ctypes.c_char_p
lib.wc_version.restype = ctypes.c_char_p
lib.wc_engine_new.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
lib.wc_engine_free.argtypes = [ctypes.c_void_p]
lib.wc_engine_probe_json.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
lib.wc_string_free.argtypes = [ctypes.c_void_p]
lib.wc_aead_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, u8p, size_t, ctypes.POINTER(ctypes.c_void_p)]
lib.wc_aead_free.argtypes = [ctypes.c_void_p]
for f in (lib.wc_aead_seal, lib.wc_aead_open):
    f.argtypes = [ctypes.c_void_p, u8p, size_t, u8p, size_t, u8p, size_t,
                  ctypes.c_char_p, size_t, ctypes.POINTER(size_t)]


class WirecryptError(Exception):
    pass


def check(status):
    if status != 0:
        raise WirecryptError(f"status {status}: {lib.wc_last_error().decode()}")


engine = ctypes.c_void_p()
check(lib.wc_engine_new(None, ctypes.byref(engine)))

probe = ctypes.c_void_p()
check(lib.wc_engine_probe_json(engine, ctypes.byref(probe)))
info = json.loads(ctypes.string_at(probe).decode())
lib.wc_string_free(probe)  # freed by the library that allocated it
chosen = next(s for s in info["selections"] if s["algorithm"] == "aes-256-gcm")
print(f"wirecrypt {lib.wc_version().decode()}: aes-256-gcm served by {chosen['provider']}")

key, nonce, aad = bytes(range(32)), bytes(12), b"header"
aead = ctypes.c_void_p()
check(lib.wc_aead_new(engine, b"aes-256-gcm", key, len(key), ctypes.byref(aead)))


def seal(msg):
    out, n = ctypes.create_string_buffer(len(msg) + 16), size_t()
    check(lib.wc_aead_seal(aead, nonce, len(nonce), aad, len(aad), msg, len(msg), out, len(out), ctypes.byref(n)))
    return out.raw[: n.value]


def open_(sealed):
    out, n = ctypes.create_string_buffer(max(len(sealed) - 16, 1)), size_t()
    check(lib.wc_aead_open(aead, nonce, len(nonce), aad, len(aad), sealed, len(sealed), out, len(out), ctypes.byref(n)))
    return out.raw[: n.value]


sealed = seal(b"hello from Python")
print("sealed:", sealed.hex())
print("opened:", open_(sealed).decode())
try:
    open_(bytes([sealed[0] ^ 1]) + sealed[1:])
except WirecryptError as e:
    print("tampered:", e)

lib.wc_aead_free(aead)
lib.wc_engine_free(engine)
