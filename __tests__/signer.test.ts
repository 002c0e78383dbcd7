import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  encodePath,
  encodeSegment,
  formatSdkDate,
  signRequest,
} from '../src/huawei/signer.ts';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('published test vectors', () => {
  it("reproduces Huawei's signing guide (GET /v1/.../vpcs/ with content-type)", () => {
    const signed = signRequest(
      {
        method: 'GET',
        host: 'service.region.example.com',
        path: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/',
        // Given out of order on purpose: the canonical query sorts them.
        query: [
          ['marker', '13551d6b-755d-4757-b956-536f674975c0'],
          ['limit', '2'],
        ],
        headers: { 'Content-Type': 'application/json' },
      },
      { accessKey: 'QTWAOYTTINDUT2QVKYUC', secretKey: 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc' },
      new Date('2019-11-15T03:36:55Z'),
    );
    expect(signed.canonicalRequest).toBe(
      'GET\n' +
        '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n' +
        'limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n' +
        'content-type:application/json\n' +
        'host:service.region.example.com\n' +
        'x-sdk-date:20191115T033655Z\n' +
        '\n' +
        'content-type;host;x-sdk-date\n' +
        EMPTY_SHA256,
    );
    expect(sha256(signed.canonicalRequest)).toBe(
      'b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a',
    );
    expect(signed.headers).toEqual({
      'Content-Type': 'application/json',
      'X-Sdk-Date': '20191115T033655Z',
      Authorization:
        'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, ' +
        'Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    });
    expect(signed.pathAndQuery).toBe(
      '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
    );
  });

  it("reproduces the Python SDK's test (GET /resources?size=1)", () => {
    const signed = signRequest(
      {
        method: 'GET',
        host: 'service.endpoint.myhuaweicloud.com',
        path: '/resources',
        query: [['size', '1']],
      },
      { accessKey: 'AccessKey', secretKey: 'SecretKey' },
      new Date('2020-06-08T02:39:00Z'),
    );
    expect(signed.headers).toEqual({
      'X-Sdk-Date': '20200608T023900Z',
      Authorization:
        'SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, ' +
        'Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842',
    });
    // The canonical URI gets a trailing slash; the wire path does not.
    expect(signed.canonicalRequest.split('\n')[1]).toBe('/resources/');
    expect(signed.pathAndQuery).toBe('/resources?size=1');
  });
});

describe('encodeSegment', () => {
  it.each([
    [' ', '%20'],
    ['~', '~'],
    ['/', '%2F'],
    ['%', '%25'],
    ['+', '%2B'],
    ["!*'()", '%21%2A%27%28%29'],
    ['a=b&c', 'a%3Db%26c'],
    ['é', '%C3%A9'],
    ['中', '%E4%B8%AD'],
    ['😀', '%F0%9F%98%80'],
    ['', ''],
    ['AZaz09-_.~', 'AZaz09-_.~'],
  ])('encodes %j as %j', (raw, encoded) => {
    expect(encodeSegment(raw)).toBe(encoded);
  });

  it('uses uppercase hex', () => {
    expect(encodeSegment('\u00ff\n')).toBe('%C3%BF%0A');
  });

  it('refuses an unpaired surrogate instead of signing a mangled string', () => {
    expect(() => encodeSegment('a\ud83d')).toThrow(TypeError);
    expect(() => encodeSegment('\ude00b')).toThrow(/unpaired UTF-16 surrogate/);
  });
});

describe('formatSdkDate', () => {
  it('writes UTC YYYYMMDDTHHMMSSZ and drops milliseconds', () => {
    expect(formatSdkDate(new Date('2019-11-15T03:36:55.999Z'))).toBe('20191115T033655Z');
  });

  it('converts an offset to UTC, across a year boundary', () => {
    expect(formatSdkDate(new Date('2024-01-01T00:30:05+02:00'))).toBe('20231231T223005Z');
  });

  it('zero-pads every field', () => {
    expect(formatSdkDate(new Date(Date.UTC(2001, 0, 2, 3, 4, 5)))).toBe('20010102T030405Z');
    const y999 = new Date(0);
    y999.setUTCFullYear(999, 0, 2);
    expect(formatSdkDate(y999)).toBe('09990102T000000Z');
  });

  it('throws on an invalid date or a year that does not fit in four digits', () => {
    expect(() => formatSdkDate(new Date('not a date'))).toThrow(RangeError);
    expect(() => formatSdkDate(new Date('+010000-01-01T00:00:00Z'))).toThrow(/year 10000/);
  });
});

describe('canonicalQuery', () => {
  it('sorts keys, then the values of a repeated key', () => {
    expect(
      canonicalQuery([
        ['status', 'RUNNING'],
        ['job_type', 'UPGRADE'],
        ['status', 'INIT'],
        ['status', 'FAIL'],
      ]),
    ).toBe('job_type=UPGRADE&status=FAIL&status=INIT&status=RUNNING');
  });

  it('keeps duplicate pairs', () => {
    expect(
      canonicalQuery([
        ['a', '1'],
        ['a', '1'],
      ]),
    ).toBe('a=1&a=1');
  });

  it('encodes keys and values (space as %20, + and & and = escaped), and keeps empty values', () => {
    expect(
      canonicalQuery([
        ['q', 'a b+c&d=e'],
        ['empty', ''],
        ['clé', 'été'],
      ]),
    ).toBe('cl%C3%A9=%C3%A9t%C3%A9&empty=&q=a%20b%2Bc%26d%3De');
  });

  it("sorts the raw strings like the official Node SDK, not the encoded ones ('.' < '/' raw, '%2F' < '.' encoded)", () => {
    expect(
      canonicalQuery([
        ['k/', '1'],
        ['k.', '2'],
      ]),
    ).toBe('k.=2&k%2F=1');
    expect(
      canonicalQuery([
        ['k', 'x/'],
        ['k', 'x.'],
      ]),
    ).toBe('k=x.&k=x%2F');
  });

  it('sorts uppercase before lowercase (code-unit order)', () => {
    expect(
      canonicalQuery([
        ['a', '1'],
        ['B', '2'],
      ]),
    ).toBe('B=2&a=1');
  });

  it('is empty for no pairs', () => {
    expect(canonicalQuery([])).toBe('');
  });
});

describe('encodePath', () => {
  it('encodes each segment and adds no slash', () => {
    expect(encodePath('/v3/my project/elb/jobs')).toBe('/v3/my%20project/elb/jobs');
    expect(encodePath('/v3/é:1@x/jobs/')).toBe('/v3/%C3%A9%3A1%40x/jobs/');
    expect(encodePath('/')).toBe('/');
  });

  it("rejects a path without a leading '/' and '.' or '..' segments", () => {
    expect(() => encodePath('v3/jobs')).toThrow(/must start with/);
    expect(() => encodePath('/v3/../jobs')).toThrow(/'\.\.' segment/);
    expect(() => encodePath('/v3/./jobs')).toThrow(/'\.' segment/);
    expect(encodePath('/v3/.../a.b')).toBe('/v3/.../a.b');
  });
});

describe('signRequest', () => {
  const key = { accessKey: 'AK0123456789', secretKey: 'sk-Very-Secret-0987654321' };
  const now = new Date('2024-03-23T08:20:42Z');

  it('puts the encoded path and canonical query on the wire, and a slash only in the canonical URI', () => {
    const signed = signRequest(
      {
        method: 'GET',
        host: '127.0.0.1:8123',
        path: '/v3/my project/elb/jobs',
        query: [
          ['resource_id', 'lb 1'],
          ['job_type', 'UPGRADE'],
        ],
      },
      key,
      now,
    );
    expect(signed.pathAndQuery).toBe('/v3/my%20project/elb/jobs?job_type=UPGRADE&resource_id=lb%201');
    expect(signed.canonicalRequest.split('\n').slice(0, 4)).toEqual([
      'GET',
      '/v3/my%20project/elb/jobs/',
      'job_type=UPGRADE&resource_id=lb%201',
      'host:127.0.0.1:8123',
    ]);
  });

  it("omits '?' when there is no query", () => {
    expect(signRequest({ method: 'GET', host: 'h', path: '/v3/p/elb/jobs' }, key, now).pathAndQuery).toBe(
      '/v3/p/elb/jobs',
    );
    expect(
      signRequest({ method: 'GET', host: 'h', path: '/v3/p/elb/jobs', query: [] }, key, now).pathAndQuery,
    ).toBe('/v3/p/elb/jobs');
  });

  it('trims header values, signs lowercase names in order, sends the names as given', () => {
    const input = {
      method: 'GET',
      host: 'elb.cn-north-4.myhuaweicloud.com',
      path: '/v3/p/elb/jobs',
      headers: { 'X-Security-Token': ' \ttok en\t ', 'X-Project-Id': '  p1  ' },
    };
    const signed = signRequest(input, key, now);
    expect(signed.canonicalRequest).toBe(
      'GET\n/v3/p/elb/jobs/\n\n' +
        'host:elb.cn-north-4.myhuaweicloud.com\n' +
        'x-project-id:p1\n' +
        'x-sdk-date:20240323T082042Z\n' +
        'x-security-token:tok en\n' +
        '\n' +
        'host;x-project-id;x-sdk-date;x-security-token\n' +
        EMPTY_SHA256,
    );
    expect(signed.headers['X-Security-Token']).toBe('tok en');
    expect(signed.headers['X-Project-Id']).toBe('p1');
    expect(signed.headers.Authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=AK0123456789, SignedHeaders=host;x-project-id;x-sdk-date;x-security-token, Signature=[0-9a-f]{64}$/,
    );
    // Untrimmed and trimmed values give the same signature.
    const untrimmed = signRequest(
      { ...input, headers: { 'X-Security-Token': 'tok en', 'X-Project-Id': 'p1' } },
      key,
      now,
    );
    expect(untrimmed.headers.Authorization).toBe(signed.headers.Authorization);
  });

  it('hashes the body into the last line', () => {
    const signed = signRequest({ method: 'POST', host: 'h', path: '/x', body: 'abc' }, key, now);
    expect(signed.canonicalRequest.split('\n').at(-1)).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('changes the signature when anything signed changes', () => {
    const base = { method: 'GET', host: 'h', path: '/a', query: [['k', 'v']] as const };
    const sig = (input: Parameters<typeof signRequest>[0], k = key, at = now) =>
      signRequest(input, k, at).headers.Authorization;
    const reference = sig(base);
    const variants = [
      sig({ ...base, method: 'DELETE' }),
      sig({ ...base, host: 'h2' }),
      sig({ ...base, path: '/b' }),
      sig({ ...base, query: [['k', 'w']] }),
      sig({ ...base, headers: { 'X-Project-Id': 'p' } }),
      sig({ ...base, body: '{}' }),
      sig(base, { ...key, secretKey: `${key.secretKey}x` }),
      sig(base, key, new Date(now.getTime() + 1000)),
    ];
    expect(new Set([reference, ...variants]).size).toBe(variants.length + 1);
  });

  it('never puts the secret key in the canonical request, the headers or the path', () => {
    const signed = signRequest(
      {
        method: 'GET',
        host: 'h',
        path: '/v3/p/elb/jobs',
        query: [['job_id', 'j']],
        headers: { 'X-Security-Token': 'token-value' },
      },
      key,
      now,
    );
    for (const text of [signed.canonicalRequest, JSON.stringify(signed.headers), signed.pathAndQuery]) {
      expect(text).not.toContain(key.secretKey);
    }
    expect(signed.headers.Authorization).toContain('Access=AK0123456789,');
  });

  it('refuses headers the signer owns, duplicates, bad names and line breaks (without echoing the value)', () => {
    const sign = (headers: Record<string, string>) =>
      signRequest({ method: 'GET', host: 'h', path: '/', headers }, key, now);
    expect(() => sign({ Host: 'x' })).toThrow(/Host is set by the signer/);
    expect(() => sign({ 'x-sdk-date': 'x' })).toThrow(/set by the signer/);
    expect(() => sign({ authorization: 'x' })).toThrow(/set by the signer/);
    expect(() => sign({ 'X-Project-Id': 'a', 'x-project-id': 'b' })).toThrow(/given twice/);
    expect(() => sign({ 'bad name': 'x' })).toThrow(/invalid header name/);
    expect(() => sign({ 'X-Security-Token': 'secret\r\nInjected: 1' })).toThrow(
      /^header X-Security-Token: value contains a line break or NUL$/,
    );
  });

  it('refuses a bad host or method', () => {
    expect(() => signRequest({ method: 'GET', host: '', path: '/' }, key, now)).toThrow(/invalid host/);
    expect(() => signRequest({ method: 'GET', host: 'a b', path: '/' }, key, now)).toThrow(/invalid host/);
    expect(() => signRequest({ method: 'GET', host: 'h/x', path: '/' }, key, now)).toThrow(/invalid host/);
    expect(() => signRequest({ method: 'GET', host: 'bücher.example', path: '/' }, key, now)).toThrow(
      /invalid host/,
    );
    expect(
      signRequest({ method: 'GET', host: '[::1]:8443', path: '/' }, key, now).canonicalRequest,
    ).toContain('\nhost:[::1]:8443\n');
    expect(() => signRequest({ method: 'GE T', host: 'h', path: '/' }, key, now)).toThrow(/invalid method/);
  });

  it("keeps a header named '__proto__' as a plain own header", () => {
    const headers: Record<string, string> = Object.fromEntries([['__proto__', 'v']]);
    const signed = signRequest({ method: 'GET', host: 'h', path: '/', headers }, key, now);
    expect(Object.keys(signed.headers)).toEqual(['__proto__', 'X-Sdk-Date', 'Authorization']);
    expect(Object.getPrototypeOf(signed.headers)).toBe(Object.prototype);
  });
});
