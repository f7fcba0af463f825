import { createHash } from 'node:crypto';
import type { Provider } from '@nestjs/common';
import { CONFIG, type SwitchyardConfig } from '@switchyard/config';

/** sha256 of the master key: the only form of it the admin service keeps. */
export const MASTER_KEY_DIGEST = Symbol('MASTER_KEY_DIGEST');

export function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export const masterKeyProvider: Provider = {
  provide: MASTER_KEY_DIGEST,
  inject: [CONFIG],
  useFactory: (config: SwitchyardConfig): Buffer => {
    if (!config.masterKey) {
      throw new Error(
        'No master key configured: set SWITCHYARD_MASTER_KEY or general_settings.master_key in the config file. The admin API does not start without one.',
      );
    }
    return digest(config.masterKey);
  },
};
