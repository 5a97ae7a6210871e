// Type-aware linting: in a daemon a dropped promise is a lost crash, so the strict rules stay on.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const layerRule = (forbidden, why) => ({
  'no-restricted-imports': ['error', {
    patterns: forbidden.map((group) => ({ group: [group], message: why })),
  }],
})

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'eslint.config.js', 'scripts/*.mjs', 'test/fixtures/**', '.*'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // Fastify plugins and hooks are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: layerRule(['**/api/**', '**/store/**', '**/cli/**', '**/server.js', 'fastify', '@fastify/*'],
      'core is the supervision engine: it knows nothing of HTTP, storage or the CLI.'),
  },
  {
    files: ['src/schema/**/*.ts', 'src/errors.ts'],
    rules: layerRule(['**/core/**', '**/api/**', '**/store/**', '**/cli/**', '**/logs/**'],
      'schema and errors are leaves: they import nothing else from src/.'),
  },
  {
    files: ['src/logs/**/*.ts', 'src/store/**/*.ts'],
    rules: layerRule(['**/api/**', '**/cli/**', 'fastify'], 'logs and store never reach up into the API or CLI.'),
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Black-box tests read untyped JSON answers on purpose: they check the wire, not our types.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' }] }],
    },
  },
)
