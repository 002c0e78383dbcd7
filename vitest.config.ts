import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 20_000,
    // Test files share workers (no module state crosses files: every test builds its own emulator and IO).
    isolate: false,
    // Two files at a time: the end-to-end files mostly wait on child processes and loopback I/O. More than two
    // crowd a 2-core machine until timing-sensitive cases (a 5 s cancellation bound, a render budget) suffer.
    maxWorkers: 2,
    hookTimeout: 20_000,
    // The official SDK's signer, the reference in signer.property.test, parses URLs with url.parse().
    execArgv: ['--disable-warning=DEP0169'],
  },
});
