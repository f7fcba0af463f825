// Flat ESLint config. Not type-aware on purpose: it stays fast enough to run on every change.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const NO_NEST_LIBS = ['libs/contracts', 'libs/providers', 'libs/routing', 'libs/pricing'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.data/**', '.nx/**', 'coverage/**'] },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Unused values are errors, but `_name` marks a deliberately ignored one (e.g. a destructured secret).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrors: 'none',
        },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', notDependOnLibsWithTags: ['type:app'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain'] },
            {
              sourceTag: 'type:data',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:util', 'type:data'],
            },
            {
              sourceTag: 'type:util',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data', 'type:domain'],
            },
          ],
        },
      ],
    },
  },
  {
    // Pure libraries: no framework, so they are usable and testable anywhere.
    files: NO_NEST_LIBS.map((dir) => `${dir}/**/*.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*'], message: 'This library stays framework-free: no @nestjs/* imports.' }] },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      // Tests may assert on values with `!` after checking them.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
