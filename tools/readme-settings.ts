/**
 * Rewrites README.md's "LiteLLM settings" table from libs/config/src/litellm-settings.ts (the unit test in
 * litellm-settings.spec.ts fails until they match):  node dist/tools/readme-settings.js (from the repository root, after npm run build)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { litellmSettingsTable } from '../libs/config/src/litellm-settings';

const file = join(process.cwd(), 'README.md');
const readme = readFileSync(file, 'utf8');
const pattern = /(<!-- litellm-settings:start -->\n)[\s\S]*?(<!-- litellm-settings:end -->)/;
if (!pattern.test(readme)) throw new Error('README.md lacks the <!-- litellm-settings:start/end --> markers.');
writeFileSync(
  file,
  readme.replace(pattern, (_m, start: string, end: string) => `${start}${litellmSettingsTable()}\n${end}`),
);
console.log('README.md: LiteLLM settings table rewritten.');
