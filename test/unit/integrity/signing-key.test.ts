import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SigningKeyRecord } from '../../../lambda/core/integrity/ledger-layout.js';
import {
  keyFingerprint,
  pkcs1FromSpki,
  publicSigningKey,
  registryChange,
} from '../../../lambda/core/integrity/signing-key.js';

const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = publicKey.export({ format: 'der', type: 'spki' });

describe('signing keys', () => {
  it('turns the SubjectPublicKeyInfo KMS returns into the PKCS#1 RSAPublicKey the CLI loads', () => {
    // Act
    const pkcs1 = pkcs1FromSpki(spki);

    // Assess: the same key, now in the form rsa.PublicKey.load_pkcs1(format='DER') reads (a SEQUENCE of n, e).
    expect(pkcs1.equals(publicKey.export({ format: 'der', type: 'pkcs1' }))).toBe(true);
    expect(pkcs1.length).toBeLessThan(spki.length);
    expect(createPublicKey({ key: pkcs1, format: 'der', type: 'pkcs1' }).equals(publicKey)).toBe(true);
  });

  it('refuses a key that is not RSA', () => {
    // Prepare
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'der',
      type: 'spki',
    });

    // Assess
    expect(() => pkcs1FromSpki(ec)).toThrow(/must be RSA/);
  });

  it('fingerprints the PKCS#1 key with 32 hex digits of MD5', () => {
    // Prepare
    const pkcs1 = pkcs1FromSpki(spki);

    // Assess
    expect(keyFingerprint(pkcs1)).toBe(createHash('md5').update(pkcs1).digest('hex'));
    expect(keyFingerprint(pkcs1)).toMatch(/^[0-9a-f]{32}$/);
    expect(publicSigningKey('arn:k', spki)).toEqual({
      keyId: 'arn:k',
      fingerprint: keyFingerprint(pkcs1),
      publicKeyPkcs1: pkcs1.toString('base64'),
    });
  });

  it('registers the first key, keeps a current one, and retires the old one where a new one starts', () => {
    // Prepare
    const configured = publicSigningKey('arn:k1', spki);
    const current: SigningKeyRecord = { ...configured, validityStart: '2026-12-01T00:00:00Z' };
    const other = publicSigningKey(
      'arn:k2',
      generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' }),
    );

    // Act + Assess
    expect(registryChange([], configured, 'T')).toEqual({
      kind: 'register',
      next: { ...configured, validityStart: 'T' },
    });
    expect(registryChange([current], configured, 'T')).toEqual({ kind: 'unchanged', current });
    expect(registryChange([current], other, 'T')).toEqual({
      kind: 'register',
      next: { ...other, validityStart: 'T' },
      retired: { ...current, validityEnd: 'T' },
    });
  });
});
