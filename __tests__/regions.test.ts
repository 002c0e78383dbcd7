import { describe, expect, it } from 'vitest';
import {
  ELB_REGIONS,
  GLOBAL_IAM_ENDPOINT,
  IAM_REGIONS,
  onPublicSite,
  regionEndpoints,
} from '../src/domain/regions.ts';
import { consoleUrl } from '../src/report/summary.ts';
import { completed } from './helpers/jobs.ts';

/** `ElbRegion` of huaweicloud-sdk-nodejs-v3 (services/elb/v3/ElbRegion.ts), region by region. */
const SDK_ELB: Record<string, string> = {
  'eu-west-101': 'https://elb.eu-west-101.myhuaweicloud.eu',
  'af-south-1': 'https://elb.af-south-1.myhuaweicloud.com',
  'cn-north-4': 'https://elb.cn-north-4.myhuaweicloud.com',
  'cn-north-1': 'https://elb.cn-north-1.myhuaweicloud.com',
  'cn-north-2': 'https://elb.cn-north-2.myhuaweicloud.com',
  'cn-east-2': 'https://elb.cn-east-2.myhuaweicloud.com',
  'cn-east-3': 'https://elb.cn-east-3.myhuaweicloud.com',
  'cn-south-1': 'https://elb.cn-south-1.myhuaweicloud.com',
  'cn-south-2': 'https://elb.cn-south-2.myhuaweicloud.com',
  'cn-southwest-2': 'https://elb.cn-southwest-2.myhuaweicloud.com',
  'ap-southeast-2': 'https://elb.ap-southeast-2.myhuaweicloud.com',
  'ap-southeast-1': 'https://elb.ap-southeast-1.myhuaweicloud.com',
  'ap-southeast-3': 'https://elb.ap-southeast-3.myhuaweicloud.com',
  'cn-north-9': 'https://elb.cn-north-9.myhuaweicloud.com',
  'la-south-2': 'https://elb.la-south-2.myhuaweicloud.com',
  'sa-brazil-1': 'https://elb.sa-brazil-1.myhuaweicloud.com',
  'na-mexico-1': 'https://elb.na-mexico-1.myhuaweicloud.com',
  'la-north-2': 'https://elb.la-north-2.myhuaweicloud.com',
  'ap-southeast-4': 'https://elb.ap-southeast-4.myhuaweicloud.com',
  'tr-west-1': 'https://elb.tr-west-1.myhuaweicloud.com',
  'ae-ad-1': 'https://elb.ae-ad-1.myhuaweicloud.com',
  'eu-west-0': 'https://elb.eu-west-0.myhuaweicloud.com',
  'me-east-1': 'https://elb.me-east-1.myhuaweicloud.com',
};

/** `IamRegion` of huaweicloud-sdk-nodejs-v3 (services/iam/v3/IamRegion.ts), region by region. */
const SDK_IAM: Record<string, string> = {
  'cn-north-2': 'https://iam.cn-north-2.myhuaweicloud.com',
  'cn-north-4': 'https://iam.cn-north-4.myhuaweicloud.com',
  'cn-north-1': 'https://iam.cn-north-1.myhuaweicloud.com',
  'cn-east-2': 'https://iam.cn-east-2.myhuaweicloud.com',
  'cn-east-3': 'https://iam.cn-east-3.myhuaweicloud.com',
  'cn-south-1': 'https://iam.cn-south-1.myhuaweicloud.com',
  'cn-south-2': 'https://iam.cn-south-2.myhuaweicloud.com',
  'cn-southwest-2': 'https://iam.cn-southwest-2.myhuaweicloud.com',
  'ap-southeast-1': 'https://iam.ap-southeast-1.myhuaweicloud.com',
  'ap-southeast-2': 'https://iam.ap-southeast-2.myhuaweicloud.com',
  'ap-southeast-3': 'https://iam.ap-southeast-3.myhuaweicloud.com',
  'af-south-1': 'https://iam.af-south-1.myhuaweicloud.com',
  'sa-brazil-1': 'https://iam.sa-brazil-1.myhuaweicloud.com',
  'la-south-2': 'https://iam.la-south-2.myhuaweicloud.com',
  'na-mexico-1': 'https://iam.na-mexico-1.myhuaweicloud.com',
  'la-north-2': 'https://iam.la-north-2.myhuaweicloud.com',
  'cn-north-9': 'https://iam.cn-north-9.myhuaweicloud.com',
  'eu-west-101': 'https://iam.eu-west-101.myhuaweicloud.eu',
  'eu-west-0': 'https://iam.eu-west-0.myhuaweicloud.com',
  'my-kualalumpur-1': 'https://iam.my-kualalumpur-1.myhuaweicloud.com',
  'ru-moscow-1': 'https://iam.ru-moscow-1.myhuaweicloud.com',
  'me-east-1': 'https://iam.me-east-1.myhuaweicloud.com',
};

describe('the region table', () => {
  it('lists exactly the SDK lists', () => {
    expect([...ELB_REGIONS].sort()).toEqual(Object.keys(SDK_ELB).sort());
    expect([...IAM_REGIONS].sort()).toEqual(Object.keys(SDK_IAM).sort());
  });

  it.each(Object.entries(SDK_ELB))("ELB of %s is the SDK's", (region, endpoint) => {
    expect(regionEndpoints(region).elb).toBe(endpoint);
  });

  it.each(Object.entries(SDK_IAM))("IAM of %s is the SDK's", (region, endpoint) => {
    expect(regionEndpoints(region).iam).toBe(endpoint);
  });

  it('eu-west-101 is Huawei Cloud Europe, on its own domain for both services', () => {
    expect(regionEndpoints('eu-west-101')).toEqual({
      elb: 'https://elb.eu-west-101.myhuaweicloud.eu',
      iam: 'https://iam.eu-west-101.myhuaweicloud.eu',
      site: 'myhuaweicloud.eu',
    });
    expect(onPublicSite('eu-west-101')).toBe(false);
  });

  it('a region listed for ELB only gets the global IAM endpoint, and says so', () => {
    expect(regionEndpoints('tr-west-1')).toEqual({
      elb: 'https://elb.tr-west-1.myhuaweicloud.com',
      iam: GLOBAL_IAM_ENDPOINT,
      site: 'myhuaweicloud.com',
      fallback:
        "Region tr-west-1 is not in the SDKs' region list for IAM (https://iam.myhuaweicloud.com, the global endpoint)",
    });
  });

  it('an unknown region keeps the public pattern and the global IAM endpoint, and says so', () => {
    expect(regionEndpoints('xx-newplace-7')).toEqual({
      elb: 'https://elb.xx-newplace-7.myhuaweicloud.com',
      iam: GLOBAL_IAM_ENDPOINT,
      site: 'myhuaweicloud.com',
      fallback:
        "Region xx-newplace-7 is not in the SDKs' region list for ELB (https://elb.xx-newplace-7.myhuaweicloud.com, the public pattern) and IAM (https://iam.myhuaweicloud.com, the global endpoint)",
    });
    expect(onPublicSite('xx-newplace-7')).toBe(true);
  });
});

describe('console links follow the site', () => {
  it('link on the international site, none for Huawei Cloud Europe (its console address is not known here)', () => {
    expect(consoleUrl(completed, 'cn-north-4', undefined)).toMatch(/^https:\/\/console\.huaweicloud\.com\//);
    expect(consoleUrl(completed, 'eu-west-101', undefined)).toBeUndefined();
    expect(consoleUrl(completed, 'eu-west-101', 'https://elb.eu-west-101.myhuaweicloud.eu')).toBeUndefined();
  });
});
