/**
 * Where each region's services live. The official SDKs' region lists (`ElbRegion` and `IamRegion` in
 * huaweicloud-sdk-nodejs-v3) give every region `https://<service>.<region>.myhuaweicloud.com`, except the regions of
 * Huawei Cloud Europe, a separate site on its own domain (`eu-west-101`: `myhuaweicloud.eu`). A region in neither list
 * keeps the public pattern for ELB and the global IAM endpoint, which the SDK cores use by default.
 */

/** The IAM endpoint the SDK cores use when no region says otherwise. */
export const GLOBAL_IAM_ENDPOINT = 'https://iam.myhuaweicloud.com';

/** The domain of Huawei Cloud's international site. */
const PUBLIC_SITE = 'myhuaweicloud.com';

/** Regions on a site of their own. */
const SITES: Readonly<Record<string, string>> = { 'eu-west-101': 'myhuaweicloud.eu' };

/** The regions both lists have. */
const BOTH: readonly string[] = [
  'af-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'cn-east-2',
  'cn-east-3',
  'cn-north-1',
  'cn-north-2',
  'cn-north-4',
  'cn-north-9',
  'cn-south-1',
  'cn-south-2',
  'cn-southwest-2',
  'eu-west-0',
  'eu-west-101',
  'la-north-2',
  'la-south-2',
  'me-east-1',
  'na-mexico-1',
  'sa-brazil-1',
];

/** `ElbRegion`'s regions. */
export const ELB_REGIONS: readonly string[] = [...BOTH, 'ae-ad-1', 'ap-southeast-4', 'tr-west-1'];

/** `IamRegion`'s regions: these have an IAM endpoint of their own. */
export const IAM_REGIONS: readonly string[] = [...BOTH, 'my-kualalumpur-1', 'ru-moscow-1'];

export interface RegionEndpoints {
  /** The region's ELB endpoint. */
  elb: string;
  /** The region's IAM endpoint: its own, or the global one. */
  iam: string;
  /** The domain of the region's site: `myhuaweicloud.com`, or another for a separate site. */
  site: string;
  /** What the lists did not know, in words, for a debug line; undefined when they knew both. */
  fallback?: string;
}

/** The default endpoints of `region`, from the SDKs' lists, or by the public pattern for a region they do not list. */
export function regionEndpoints(region: string): RegionEndpoints {
  const site = SITES[region] ?? PUBLIC_SITE;
  const elb = `https://elb.${region}.${site}`;
  const iam = IAM_REGIONS.includes(region) ? `https://iam.${region}.${site}` : GLOBAL_IAM_ENDPOINT;
  const unknown = [
    ELB_REGIONS.includes(region) ? '' : `ELB (${elb}, the public pattern)`,
    IAM_REGIONS.includes(region) ? '' : `IAM (${iam}, the global endpoint)`,
  ].filter(Boolean);
  const out: RegionEndpoints = { elb, iam, site };
  if (unknown.length > 0) {
    out.fallback = `Region ${region} is not in the SDKs' region list for ${unknown.join(' and ')}`;
  }
  return out;
}

/** True when `region` is on Huawei Cloud's international site (the console links of this action point there). */
export function onPublicSite(region: string): boolean {
  return (SITES[region] ?? PUBLIC_SITE) === PUBLIC_SITE;
}
