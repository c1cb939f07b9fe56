/** Tests run against real servers: PostgreSQL (DATABASE_URL) and Temporal servers started per file. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  testTimeout: 120000,
};
