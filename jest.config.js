/** Tests run against real servers: PostgreSQL (DATABASE_URL) and Temporal servers started per file. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  testTimeout: 120000,
  // the workflow bundle is built once per run (FUPIN_WORKFLOW_BUNDLE), not by every file and worker
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
};
