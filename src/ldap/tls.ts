/**
 * The TLS settings of LDAPS and StartTLS: Mozilla's "intermediate" configuration
 * (https://ssl-config.mozilla.org/, guidelines 5.7): TLS 1.2 and 1.3 only; for TLS 1.2 only
 * forward-secret (ECDHE, DHE) suites with AEAD ciphers, so no CBC with SHA-1 MACs and no
 * static-RSA key exchange; the TLS 1.3 suites; X25519, P-256 and P-384 for ECDHE and a
 * 2048-bit RFC 7919 group for DHE; the client's order of preference.
 */
import type { SecureContextOptions } from 'node:tls';

/** TLS 1.3 suites, then the TLS 1.2 ones, in Mozilla's order. */
const CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
].join(':');

/** What every TLS context of the server is made with, beside its certificate and key. */
export const TLS_SETTINGS: SecureContextOptions = {
  minVersion: 'TLSv1.2',
  ciphers: CIPHERS,
  ecdhCurve: 'X25519:prime256v1:secp384r1',
  // OpenSSL picks the RFC 7919 group that matches the certificate's strength (ffdhe2048 for RSA 2048).
  dhparam: 'auto',
  honorCipherOrder: false,
};
