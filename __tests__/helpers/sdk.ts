/** The official Huawei Cloud SDK's signer, the tests' independent oracle (a devDependency, never bundled). */
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';

type SdkCredential = Parameters<typeof AKSKSigner.sign>[1];

/** What the SDK signs: it url.parse()s `endpoint` for the path and signs every header given. */
export interface SdkRequest {
  endpoint: string;
  method: string;
  headers: Record<string, string>;
  queryParams?: object;
  data?: unknown;
}

/** Signs with the official SDK and returns its headers (Authorization and host included). */
export function sdkSign(request: SdkRequest, accessKey: string, secretKey: string): Record<string, string> {
  // The SDK only calls getAk()/getSk() while signing.
  const credential = { getAk: () => accessKey, getSk: () => secretKey } as unknown as SdkCredential;
  return AKSKSigner.sign(request as Parameters<typeof AKSKSigner.sign>[0], credential) as Record<
    string,
    string
  >;
}
