/**
 * Credentials: every secret-bearing input and environment variable read (and registered as a secret) first, then
 * exactly one kind chosen (auth_token, idp_id, AK/SK), with the environment fallbacks users already have.
 */
import type { Credentials } from '../domain/types.ts';
import { InputError } from '../errors.ts';
import {
  describe,
  EXAMPLES,
  envValue,
  type InputHooks,
  type InputSource,
  inputOrEnv,
  type Sourced,
} from './source.ts';

const IDP_ID = /^[A-Za-z0-9_.-]{1,128}$/;
/** Printable ASCII without spaces: what an access key or a header token can be made of. */
const HEADER_TOKEN = /^[\x21-\x7e]+$/;

const AK_ENV_PAIRS = [
  ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK'],
  ['HUAWEI_CLOUD_ACCESS_KEY_ID', 'HUAWEI_CLOUD_SECRET_ACCESS_KEY'],
  ['CLOUD_SDK_AK', 'CLOUD_SDK_SK'],
] as const;
const AUTH_TOKEN_ENV = 'HUAWEICLOUD_SDK_AUTH_TOKEN';
const SECURITY_TOKEN_ENV = 'HUAWEICLOUD_SDK_SECURITY_TOKEN';

/** Every secret-bearing input and environment variable, read (and masked) before anything else happens. */
export interface SecretValues {
  authToken: Sourced | undefined;
  accessKeyInput: string;
  secretKeyInput: string;
  /** The first environment pair in which either variable is set, as [AK, SK] names and values. */
  envPair: { akName: string; skName: string; ak: string; sk: string } | undefined;
  securityTokenInput: string;
  securityTokenEnv: string;
  githubToken: string;
}

export function readSecrets(source: InputSource, hooks: InputHooks): SecretValues {
  const mask = (value: string): string => hooks.secrets.add(value);
  const input = (name: string): string => mask(source.getInput(name));
  const env = (name: string): string => mask(envValue(source, name));

  const authTokenInput = input('auth_token');
  const authTokenEnv = env(AUTH_TOKEN_ENV);
  const accessKeyInput = input('access_key');
  const secretKeyInput = input('secret_key');
  const pairs = AK_ENV_PAIRS.map(([akName, skName]) => ({
    akName,
    skName,
    ak: env(akName),
    sk: env(skName),
  }));
  const securityTokenInput = input('security_token');
  const securityTokenEnv = env(SECURITY_TOKEN_ENV);
  const githubToken = input('github_token');

  let authToken: Sourced | undefined;
  if (authTokenInput !== '') authToken = { value: authTokenInput, from: 'input' };
  else if (authTokenEnv !== '') authToken = { value: authTokenEnv, from: `env ${AUTH_TOKEN_ENV}` };

  return {
    authToken,
    accessKeyInput,
    secretKeyInput,
    envPair: pairs.find((pair) => pair.ak !== '' || pair.sk !== ''),
    securityTokenInput,
    securityTokenEnv,
    githubToken,
  };
}

/** Checks a credential's shape without ever showing it. */
function checkCredentialShape(
  input: 'access_key' | 'secret_key' | 'security_token' | 'auth_token',
  value: string,
  from: string,
  what: string,
): void {
  if (HEADER_TOKEN.test(value)) return;
  const where = from === 'input' ? '' : ` (from ${from})`;
  const why = /\s/.test(value)
    ? 'contains whitespace or a line break (pasted with extra characters?)'
    : 'contains characters other than printable ASCII';
  throw new InputError({
    input,
    problem: `the ${what}${where} ${why}; the value is not shown`,
    example: EXAMPLES[input],
  });
}

function resolveAkSk(
  secrets: SecretValues,
  hooks: InputHooks,
): { credentials: Credentials; from: string } | undefined {
  let accessKey: string;
  let secretKey: string;
  let from: string;
  if (secrets.accessKeyInput !== '' || secrets.secretKeyInput !== '') {
    // The inputs are one source: an empty one is almost always a misspelled or missing secret, and
    // filling it from the environment would sign with someone else's key.
    if (secrets.secretKeyInput === '') {
      throw new InputError({
        input: 'secret_key',
        problem:
          'access_key is set but secret_key is empty (a missing or misspelled secret expands to an empty string)',
        example: EXAMPLES.secret_key,
      });
    }
    if (secrets.accessKeyInput === '') {
      throw new InputError({
        input: 'access_key',
        problem:
          'secret_key is set but access_key is empty (a missing or misspelled secret expands to an empty string)',
        example: EXAMPLES.access_key,
      });
    }
    accessKey = secrets.accessKeyInput;
    secretKey = secrets.secretKeyInput;
    from = 'input';
  } else if (secrets.envPair) {
    const { akName, skName, ak, sk } = secrets.envPair;
    if (sk === '') {
      throw new InputError({
        input: 'secret_key',
        problem: `env ${akName} is set but ${skName} is not`,
        example: EXAMPLES.secret_key,
      });
    }
    if (ak === '') {
      throw new InputError({
        input: 'access_key',
        problem: `env ${skName} is set but ${akName} is not`,
        example: EXAMPLES.access_key,
      });
    }
    accessKey = ak;
    secretKey = sk;
    from = `env ${akName}/${skName}`;
  } else {
    return undefined;
  }
  checkCredentialShape('access_key', accessKey, from, 'access key');
  checkCredentialShape('secret_key', secretKey, from, 'secret key');

  let securityToken: string | undefined;
  if (secrets.securityTokenInput !== '') {
    securityToken = secrets.securityTokenInput;
    checkCredentialShape('security_token', securityToken, 'input', 'security token');
  } else if (secrets.securityTokenEnv !== '') {
    // The contract's fallback. A token left in the environment beside permanent keys given as inputs would make
    // every request fail with 401, so say where it comes from.
    securityToken = secrets.securityTokenEnv;
    checkCredentialShape('security_token', securityToken, `env ${SECURITY_TOKEN_ENV}`, 'security token');
    if (from === 'input') {
      hooks.warning(
        `Using ${SECURITY_TOKEN_ENV} with the access_key/secret_key inputs. If those are permanent keys, ` +
          'clear the variable (or set security_token to the token that belongs to them).',
      );
    }
  }
  const credentials: Credentials = { kind: 'aksk', accessKey, secretKey };
  if (securityToken !== undefined) credentials.securityToken = securityToken;
  return { credentials, from };
}

export function resolveCredentials(
  source: InputSource,
  hooks: InputHooks,
  secrets: SecretValues,
): Credentials {
  // No environment fallback, as the contract says: keyless auth is chosen in the workflow, never inherited.
  const idp = inputOrEnv(source, 'idp_id', []);
  const akskGiven: string[] = [];
  if (secrets.accessKeyInput !== '' || secrets.secretKeyInput !== '') akskGiven.push('inputs');
  if (secrets.envPair) akskGiven.push(`env ${secrets.envPair.akName}`);

  const given: string[] = [];
  if (secrets.authToken) given.push(`auth_token (${secrets.authToken.from})`);
  if (idp) given.push(`idp_id (${idp.from})`);
  if (akskGiven.length > 0) given.push(`AK/SK (${akskGiven.join(', ')})`);

  let credentials: Credentials;
  let used: string;
  if (secrets.authToken) {
    checkCredentialShape('auth_token', secrets.authToken.value, secrets.authToken.from, 'token');
    credentials = { kind: 'token', authToken: secrets.authToken.value };
    used = 'auth_token';
  } else if (idp) {
    if (!IDP_ID.test(idp.value)) {
      throw new InputError({
        input: 'idp_id',
        problem: `${describe(idp)} is not an identity provider name (letters, digits, '.', '-' and '_')`,
        example: EXAMPLES.idp_id,
      });
    }
    const audience = source.getInput('id_token_audience');
    credentials = { kind: 'oidc', idpId: idp.value, audience: audience || undefined };
    used = 'idp_id (keyless OIDC)';
  } else {
    const aksk = resolveAkSk(secrets, hooks);
    if (!aksk) {
      throw new InputError({
        input: 'access_key',
        problem:
          'no Huawei Cloud credentials found. Set access_key and secret_key from repository secrets, ' +
          'or run huaweicloud/auth-action earlier in the job (it exports HUAWEI_CLOUD_ACCESS_KEY_ID and ' +
          'HUAWEI_CLOUD_SECRET_ACCESS_KEY), or set idp_id for keyless OIDC (needs permissions: id-token: write), ' +
          'or set auth_token to an IAM token',
        example: EXAMPLES.access_key,
      });
    }
    credentials = aksk.credentials;
    used = 'AK/SK';
  }
  if (given.length > 1) {
    hooks.warning(
      `Several kinds of credentials are set: ${given.join('; ')}. Using ${used}, the others are ignored ` +
        '(order: auth_token, idp_id, AK/SK).',
    );
  }
  return credentials;
}
