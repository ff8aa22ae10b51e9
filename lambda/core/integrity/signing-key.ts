import { createHash, createPublicKey } from 'node:crypto';
import type { SigningKeyRecord } from './ledger-layout.js';

/**
 * The signing keys as CloudTrail's ListPublicKeys gives them: KMS GetPublicKey answers with a DER
 * SubjectPublicKeyInfo, the CLI loads `Value` with `rsa.PublicKey.load_pkcs1(..., format='DER')`, so the registry
 * keeps the PKCS#1 RSAPublicKey inside it. docs/integrity.md, "Keys and rotation".
 */

/** The PKCS#1 DER RSAPublicKey of a DER SubjectPublicKeyInfo (what KMS GetPublicKey returns); throws for non-RSA keys. */
export function pkcs1FromSpki(spkiDer: Uint8Array): Buffer {
  const key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'rsa') {
    throw new Error(`the signing key must be RSA (got ${key.asymmetricKeyType ?? 'unknown'})`);
  }
  return key.export({ format: 'der', type: 'pkcs1' });
}

/** The key's fingerprint: lowercase hex MD5 of its PKCS#1 DER, 32 characters as CloudTrail's are. */
export function keyFingerprint(pkcs1Der: Uint8Array): string {
  return createHash('md5').update(pkcs1Der).digest('hex');
}

/** A signing key as the registry holds it, from KMS's answer. */
export interface PublicSigningKey {
  readonly keyId: string;
  readonly fingerprint: string;
  readonly publicKeyPkcs1: string;
}

export function publicSigningKey(keyId: string, spkiDer: Uint8Array): PublicSigningKey {
  const pkcs1 = pkcs1FromSpki(spkiDer);
  return { keyId, fingerprint: keyFingerprint(pkcs1), publicKeyPkcs1: pkcs1.toString('base64') };
}

/** What a run must do to the registry so that `current` signs from `now` on. */
export type RegistryChange =
  | { readonly kind: 'unchanged'; readonly current: SigningKeyRecord }
  | {
      readonly kind: 'register';
      readonly next: SigningKeyRecord;
      /** The key it replaces, with its validity ended at `now`; undefined for the first key. */
      readonly retired?: SigningKeyRecord;
    };

/**
 * Compares the configured key with the registry's current one (the key without a validity end). A new key ends the
 * old one's validity where its own starts, so digests the old key signed stay verifiable with the old key.
 */
export function registryChange(
  registry: readonly SigningKeyRecord[],
  configured: PublicSigningKey,
  now: string,
): RegistryChange {
  const current = registry.find((key) => key.validityEnd === undefined);
  if (current?.fingerprint === configured.fingerprint) return { kind: 'unchanged', current };
  const next: SigningKeyRecord = { ...configured, validityStart: now };
  return current === undefined
    ? { kind: 'register', next }
    : { kind: 'register', next, retired: { ...current, validityEnd: now } };
}
