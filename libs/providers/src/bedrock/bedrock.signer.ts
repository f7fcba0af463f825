import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials } from '../credentials/credentials.types';
import type { UpstreamRequest } from '../provider-adapter';

type AwsKeys = NonNullable<Credentials['aws']>;

/** The SigV4 service name Bedrock's runtime signs under (the SDK's signingName). */
export const BEDROCK_SIGNING_SERVICE = 'bedrock';

const sha256 = Hash.bind(null, 'sha256');

/*
 * One signer per set of keys: the credentials service hands out the same object until it refreshes it, so
 * the signer (and the signing key it derives once per day, region and service) is reused across requests.
 */
const signers = new WeakMap<AwsKeys, SignatureV4>();

function signerFor(aws: AwsKeys): SignatureV4 {
  let signer = signers.get(aws);
  if (signer === undefined) {
    signer = new SignatureV4({
      credentials: {
        accessKeyId: aws.accessKeyId,
        secretAccessKey: aws.secretAccessKey,
        ...(aws.sessionToken !== undefined && { sessionToken: aws.sessionToken }),
      },
      region: aws.region,
      service: BEDROCK_SIGNING_SERVICE,
      sha256,
    });
    signers.set(aws, signer);
  }
  return signer;
}

/**
 * Signs `request` with AWS Signature Version 4 (@smithy/signature-v4, SHA-256 from @smithy/hash-node) at
 * `now`: adds x-amz-date, x-amz-content-sha256, x-amz-security-token (temporary keys) and Authorization.
 * Every header of the request is signed, `host` included, so the request must go out with exactly these
 * headers; the path must be sent as written (the signer escapes it once more for the canonical request, as
 * AWS services other than S3 expect).
 */
export async function signBedrockRequest(
  request: UpstreamRequest,
  aws: AwsKeys,
  now: number,
): Promise<UpstreamRequest> {
  const url = new URL(request.url);
  const signed = await signerFor(aws).sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port !== '' && { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers: { ...request.headers, host: url.host },
      body: request.body,
    },
    { signingDate: new Date(now) },
  );
  return { ...request, headers: signed.headers };
}
