// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // One door to the database (src/services/sql.ts): prepared statements, the embedded database's transaction rule and
    // one shape of answer (TypeORM answers UPDATE and DELETE as [rows, affected]) are written there once. Any
    // `x.query(...)` call counts, whatever the object is called (manager, tx.manager, dataSource, a pg client).
    // Migrations, tests, scripts and bench are outside src/ and may call query.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='query']",
          message: 'Run SQL through src/services/sql.ts (rows, one, returning, affected), not .query().',
        },
      ],
    },
  },
  {
    // The door itself, and the database layer under it: pool set-up (SET on connect), the migration lock on its own
    // client and VACUUM, which cannot run inside the transaction sql.ts wraps statements in on the embedded database.
    files: ['src/services/sql.ts', 'src/db/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
