/** Tests run against real servers: PostgreSQL (DATABASE_URL) and Temporal servers started per file. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // the cluster test brings up Temporal's own server (scripts/up.sh --cluster): scripts/test.sh runs it
  // on its own after the other suites, with FUPIN_CLUSTER_TEST=1
  testPathIgnorePatterns: process.env.FUPIN_CLUSTER_TEST === '1' ? ['/node_modules/'] : ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  testTimeout: 120000,
  // the workflow bundle is built once per run (FUPIN_WORKFLOW_BUNDLE), not by every file and worker
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
};
