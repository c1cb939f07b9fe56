// Lint rules that guard Temporal's workflow sandbox and async code (after samples-typescript's
// shared config): workflow code imports no Node built-ins and no runtime code of activities,
// clients or workers (types only), and no promise is left floating anywhere.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', 'generated/', 'dist/', '.venv/', '.data/', 'eslint.config.mjs', 'jest.config.js'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'bench/baseline/workflows.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'workflow code runs in a deterministic sandbox: no Node built-ins' })),
          patterns: [
            {
              // lib/dates and lib/org are pure (zod only; test/layering.test.ts checks that every
              // module the workflow bundle reaches stays so): workflow code may import them
              group: ['**/activities', '**/activities/*', '**/lib/*', '!**/lib/dates', '!**/lib/org', '**/api/*', '**/worker/*', '@temporalio/activity', '@temporalio/client', '@temporalio/worker'],
              allowTypeImports: true,
              message: 'workflow code imports only the types of activities, clients and workers',
            },
          ],
        },
      ],
    },
  },
);
