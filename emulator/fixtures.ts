/** Obviously fake values for the demo, the CLI and tests. */
export const DEMO_ACCESS_KEY = 'DEMOACCESSKEY0000000';
export const DEMO_SECRET_KEY = 'demo-secret-key-not-a-real-one-0000000000';
export const DEMO_AUTH_TOKEN = 'demo-auth-token-not-a-real-one';
export const DEMO_RESOURCE_ID = '00000000-0000-4000-8000-00000000feed';
export const DEMO_JOB_ID = '00000000-0000-4000-8000-0000000000a1';
