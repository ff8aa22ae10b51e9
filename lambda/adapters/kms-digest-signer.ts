import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { DigestSigner } from '../core/integrity/digester.js';

/**
 * Signs digests with a KMS asymmetric key (RSA_2048, SIGN_VERIFY): RSASSA_PKCS1_V1_5_SHA_256 over the message
 * itself (MessageType RAW: KMS hashes it), which is CloudTrail's SHA256withRSA. The private key never leaves KMS.
 */
export const DIGEST_SIGNING_ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';

export class KmsDigestSigner implements DigestSigner {
  constructor(
    private readonly client: KMSClient,
    readonly keyId: string,
  ) {}

  async publicKey(): Promise<Uint8Array> {
    const { PublicKey, KeySpec, KeyUsage } = await this.client.send(
      new GetPublicKeyCommand({ KeyId: this.keyId }),
    );
    if (PublicKey === undefined) throw new Error(`KMS returned no public key for ${this.keyId}`);
    // Checked where KMS names them: a key of another spec or usage cannot sign CloudTrail's digests.
    if (
      (KeySpec !== undefined && KeySpec !== 'RSA_2048') ||
      (KeyUsage !== undefined && KeyUsage !== 'SIGN_VERIFY')
    ) {
      throw new Error(`${this.keyId} is ${KeySpec} ${KeyUsage}; digests need an RSA_2048 SIGN_VERIFY key`);
    }
    return PublicKey;
  }

  async sign(message: Buffer): Promise<string> {
    const { Signature } = await this.client.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: message,
        MessageType: 'RAW',
        SigningAlgorithm: DIGEST_SIGNING_ALGORITHM,
      }),
    );
    if (Signature === undefined) throw new Error(`KMS returned no signature from ${this.keyId}`);
    return Buffer.from(Signature).toString('hex');
  }
}
