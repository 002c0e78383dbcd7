import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 20_000,
    // Test files share workers (no module state crosses files: every test builds its own emulator and IO).
    isolate: false,
    hookTimeout: 20_000,
    // The official SDK's signer, the reference in signer.property.test, parses URLs with url.parse().
    execArgv: ['--disable-warning=DEP0169'],
  },
});
