/** The emulator's public surface: `import { ElbEmulator, upgradeJob, ... } from '../emulator/index.ts'`. */
export * from './auth.ts';
export * from './clock.ts';
export * from './fixtures.ts';
export * from './github.ts';
export * from './iam.ts';
export * from './jobs.ts';
export * from './server.ts';
