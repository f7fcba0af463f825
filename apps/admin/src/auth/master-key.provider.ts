import { createHash } from 'node:crypto';
import type { Provider } from '@nestjs/common';
import { CONFIG, resolveMasterKey, type SwitchyardConfig } from '@switchyard/config';

/** sha256 of the master key: the only form of it the admin service keeps. */
export const MASTER_KEY_DIGEST = Symbol('MASTER_KEY_DIGEST');

export function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export const masterKeyProvider: Provider = {
  provide: MASTER_KEY_DIGEST,
  inject: [CONFIG],
  // The same key main.ts's listen policy judged (SWITCHYARD_MASTER_KEY, the config's, or the demo key on loopback).
  useFactory: (config: SwitchyardConfig): Buffer =>
    digest(resolveMasterKey(config.masterKeySetting, process.env).value),
};
