// Lint rules: typescript-eslint with type information (no floating promises), Svelte, and Plaza's import boundaries.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const CESIUM_ONLY_IN_VIEWER = {
  paths: [
    { name: 'cesium', message: 'Only src/viewer/ and src/layers/ import cesium (conventions: boundaries).' },
  ],
  patterns: [{ group: ['cesium/*'], message: 'Only src/viewer/ and src/layers/ import cesium.' }],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'tilesets/',
      'data/',
      'test/artifacts/',
      '.svelte-kit/',
      '**/*.tmp.*',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.json', './tsconfig.server.json'],
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name=/^(it|describe|test)$/][callee.property.name='only']",
          message: 'no .only',
        },
        {
          selector: "CallExpression[callee.object.name=/^(it|describe|test)$/][callee.property.name='skip']",
          message: 'no silent .skip',
        },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser },
      globals: globals.browser,
    },
  },
  {
    // Bookkeeping of Cesium objects and large entity maps is deliberately not reactive: a version counter signals
    // changes, so thousands of entries never become proxies.
    files: ['src/viewer/**', 'src/layers/**', 'src/state/**'],
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.svelte'],
    ignores: ['src/viewer/**', 'src/layers/**'],
    languageOptions: { globals: globals.browser },
    rules: { 'no-restricted-imports': ['error', CESIUM_ONLY_IN_VIEWER] },
  },
  {
    files: ['src/data/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: CESIUM_ONLY_IN_VIEWER.paths,
          patterns: [
            ...CESIUM_ONLY_IN_VIEWER.patterns,
            {
              group: ['svelte', 'svelte/*', '*.svelte'],
              message: 'src/data/ is plain HTTP clients: no Svelte.',
            },
            { group: ['deck.gl', '@deck.gl/*'], message: 'src/data/ is plain HTTP clients: no deck.gl.' },
          ],
        },
      ],
    },
  },
  {
    files: ['server/**', 'test/**', '*.config.ts', '*.config.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['server/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src/**', '../src/*', '../../src/*'], message: 'server/ never imports from src/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['server/tiler/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src/**'], message: 'server/ never imports from src/.' },
            {
              group: ['**/http/**', '../http', '../../http'],
              message: 'server/tiler/ never imports server/http/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
