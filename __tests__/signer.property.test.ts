/**
 * Property tests: src/signer.ts against the official Huawei Cloud Node SDK's signer (used only as a test oracle),
 * plus round-trip properties of the wire form.
 */
import url from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  encodePath,
  formatSdkDate,
  type SignInput,
  signRequest,
} from '../src/huawei/signer.ts';
import { sdkSign } from './helpers/sdk.ts';

const NUM_RUNS = 1000;

const chars = (s: string): string[] => Array.from(s);
const UNRESERVED = chars('ABCXYZabcxyz0189-_.~');
/** ASCII characters that need encoding and that url.parse() leaves alone in a path. */
const PATH_RESERVED = chars('@:!*()+,;=$&%[]');
/** Named non-ASCII samples: 2, 3 and 4 UTF-8 bytes. */
const NON_ASCII = chars('éüßñΩж中文€…😀𝄞🇫');

/** Any code point from U+0080 up, surrogate halves excluded (they cannot be encoded). */
const nonAsciiCodePoint = fc
  .integer({ min: 0x80, max: 0x10ffff })
  .filter((cp) => cp < 0xd800 || cp > 0xdfff)
  .map((cp) => String.fromCodePoint(cp));

/*
 * Path segments. Kept OUT of paths, because of the SDK's url.parse() (legacy parser) rather than the algorithm:
 * '?' and '#' end the path; '\\' becomes '/'; space, '"', "'", '<', '>', '^', '`', '{', '|', '}' and control
 * characters are auto-escaped by url.parse(), after which the SDK encodes the '%' again (double encoding).
 * These characters are all in the query generators below, where the SDK takes raw strings. Segments '.' and
 * '..' are excluded because encodePath() refuses them. Every generated path is also checked to come out of
 * url.parse() unchanged, so the SDK signs exactly the path given to signRequest().
 */
const pathChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...UNRESERVED) },
  { weight: 3, arbitrary: fc.constantFrom(...PATH_RESERVED) },
  { weight: 2, arbitrary: fc.constantFrom(...NON_ASCII) },
  { weight: 1, arbitrary: nonAsciiCodePoint },
);
const pathSegment = fc.string({ unit: pathChar, maxLength: 8 }).filter((s) => s !== '.' && s !== '..');
const rawPath = fc
  .tuple(fc.array(pathSegment, { maxLength: 6 }), fc.boolean())
  .map(
    ([segments, trailingSlash]) => `/${segments.join('/')}${trailingSlash && segments.length > 0 ? '/' : ''}`,
  )
  .filter((p) => url.parse(`https://h.example.com${p}`).pathname === p);

/** Query strings: any well-formed Unicode (printable and not), including what paths avoid. */
const queryChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...UNRESERVED) },
  { weight: 3, arbitrary: fc.constantFrom(...chars(' !"#$%&\'()*+,/:;<=>?@[\\]^`{|}\t')) },
  { weight: 2, arbitrary: fc.constantFrom(...NON_ASCII) },
  { weight: 1, arbitrary: nonAsciiCodePoint },
);
const queryText = fc.string({ unit: queryChar, maxLength: 8 });
/** Keys often come from a small pool so that repeated keys (and repeated pairs) are common. */
const queryKey = fc.oneof(
  fc.constantFrom('limit', 'marker', 'job_id', 'status', 'begin_time', 'clé', 'a b', '__proto__', ''),
  queryText,
);
const queryValue = fc.oneof(fc.constantFrom('1', 'UPGRADE', 'RUNNING', 'été', 'x y'), queryText);
const query = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 8 });

/** Extra header values without surrounding whitespace (the SDK does not trim; the signer does). */
const headerValue = fc
  .string({
    unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))),
    maxLength: 20,
  })
  .filter((v) => v === v.trim());
const RESERVED_NAMES = new Set(['x-sdk-date', 'x-sdk-content-sha256', 'x-security-token', 'x-project-id']);
const extraHeaders = fc.uniqueArray(
  fc.tuple(
    fc
      .string({ unit: fc.constantFrom(...chars('abcdefghijklmnopqrstuvwxyz')), minLength: 1, maxLength: 8 })
      .map((s) => `x-${s}`)
      .filter((n) => !RESERVED_NAMES.has(n)),
    headerValue,
  ),
  { selector: ([name]) => name, maxLength: 4 },
);

const host = fc.oneof(
  fc
    .constantFrom('cn-north-4', 'ap-southeast-1', 'eu-west-101', 'la-south-2')
    .map((r) => `elb.${r}.myhuaweicloud.com`),
  fc.integer({ min: 1, max: 65535 }).map((port) => `127.0.0.1:${port}`),
  fc.constantFrom('localhost', 'service.region.example.com', '[::1]:8443'),
);

const requestArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  host,
  path: rawPath,
  query,
  extra: extraHeaders,
  securityToken: fc.option(fc.base64String({ minLength: 4, maxLength: 40 }), { nil: undefined }),
  projectId: fc.option(fc.stringMatching(/^[0-9a-f]{32}$/), { nil: undefined }),
  contentType: fc.option(fc.constantFrom('application/json', 'application/json;charset=UTF-8'), {
    nil: undefined,
  }),
  /** A JSON body: the SDK hashes JSON.stringify(data), so the signer is given that string. */
  data: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), {
    nil: undefined,
  }),
  accessKey: fc.string({
    unit: fc.constantFrom(...chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')),
    minLength: 1,
  }),
  secretKey: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  now: fc.date({
    min: new Date('0000-01-01T00:00:00Z'),
    max: new Date('9999-12-31T23:59:59Z'),
    noInvalidDate: true,
  }),
});

/** X-Sdk-Date computed independently of formatSdkDate, from toISOString(). */
const isoBasic = (d: Date): string =>
  d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(/[-:]/g, '');

describe('signRequest agrees with the official SDK signer (AKSKSigner.sign)', () => {
  it(`signs ${NUM_RUNS} random requests identically`, () => {
    let withQuery = 0;
    let withRepeatedKey = 0;
    let withNonAsciiPath = 0;
    let withBody = 0;
    fc.assert(
      fc.property(requestArb, (r) => {
        const headers: Record<string, string> = Object.fromEntries(r.extra);
        if (r.securityToken !== undefined) headers['X-Security-Token'] = r.securityToken;
        if (r.projectId !== undefined) headers['X-Project-Id'] = r.projectId;
        if (r.contentType !== undefined) headers['Content-Type'] = r.contentType;
        const body = r.data === undefined ? '' : JSON.stringify(r.data);
        const input: SignInput = {
          method: r.method,
          host: r.host,
          path: r.path,
          query: r.query,
          headers,
          body,
        };

        const ours = signRequest(input, { accessKey: r.accessKey, secretKey: r.secretKey }, r.now);

        // The SDK's input: repeated keys become arrays; a null-prototype object keeps '__proto__' an ordinary key.
        const queryParams: Record<string, string | string[]> = Object.create(null);
        for (const [k, v] of r.query) {
          const previous = queryParams[k];
          queryParams[k] =
            previous === undefined ? v : Array.isArray(previous) ? [...previous, v] : [previous, v];
        }
        const theirs = sdkSign(
          {
            endpoint: `https://${r.host}${r.path}`,
            method: r.method,
            headers: { ...headers, host: r.host, 'X-Sdk-Date': ours.headers['X-Sdk-Date'] ?? '' },
            queryParams,
            data: r.data,
          },
          r.accessKey,
          r.secretKey,
        );

        expect(ours.headers['X-Sdk-Date']).toBe(isoBasic(r.now));
        expect(ours.headers.Authorization).toBe(theirs.Authorization);
        for (const name of Object.keys(headers)) expect(ours.headers[name]).toBe(theirs[name]);
        expect(Object.keys(ours.headers).sort()).toEqual(
          [...Object.keys(headers), 'Authorization', 'X-Sdk-Date'].sort(),
        );

        if (r.query.length > 0) withQuery++;
        if (new Set(r.query.map(([k]) => k)).size < r.query.length) withRepeatedKey++;
        if (Array.from(r.path).some((c) => (c.codePointAt(0) ?? 0) > 0x7f)) withNonAsciiPath++;
        if (r.data !== undefined) withBody++;
      }),
      { numRuns: NUM_RUNS },
    );
    // The generator really exercises the interesting cases (each is well over 10% of runs).
    expect(withQuery).toBeGreaterThan(NUM_RUNS / 10);
    expect(withRepeatedKey).toBeGreaterThan(NUM_RUNS / 10);
    expect(withNonAsciiPath).toBeGreaterThan(NUM_RUNS / 10);
    expect(withBody).toBeGreaterThan(NUM_RUNS / 10);
  });
});

describe('wire form', () => {
  it(`survives a WHATWG URL parser unchanged and decodes back to the raw path and query (${NUM_RUNS} runs)`, () => {
    fc.assert(
      fc.property(rawPath, query, (path, pairs) => {
        const { pathAndQuery } = signRequest(
          { method: 'GET', host: 'h', path, query: pairs },
          { accessKey: 'a', secretKey: 's' },
          new Date(0),
        );
        // Concatenated, not resolved against a base: a path starting with '//' would read as a host.
        const parsed = new URL(`https://elb.example.com${pathAndQuery}`);
        // What an HTTP client built from this URL sends is exactly what was signed.
        expect(parsed.pathname + parsed.search).toBe(pathAndQuery);
        expect(parsed.pathname).toBe(encodePath(path));
        expect(parsed.pathname.split('/').map(decodeURIComponent).join('/')).toBe(path);
        const key = ([k, v]: readonly [string, string]) => JSON.stringify([k, v]);
        expect([...parsed.searchParams].map(key).sort()).toEqual(pairs.map(key).sort());
        expect(parsed.search).toBe(pairs.length === 0 ? '' : `?${canonicalQuery(pairs)}`);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it(`formatSdkDate matches toISOString() for any date in years 0-9999 (${NUM_RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (d) => {
          expect(formatSdkDate(d)).toBe(isoBasic(d));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
