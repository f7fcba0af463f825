import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const libs = [
  'contracts',
  'nats',
  'providers',
  'routing',
  'pricing',
  'db',
  'analytics',
  'jobs',
  'redis',
  'config',
  'testing',
  'http',
];
const alias = Object.fromEntries(libs.map((l) => [`@switchyard/${l}`, resolve(__dirname, `libs/${l}/src/index.ts`)]));

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['{apps,libs,tools}/**/*.spec.ts'], environment: 'node' },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['{apps,libs,test}/**/*.{int,e2e}-spec.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
