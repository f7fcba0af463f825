import 'reflect-metadata';
import { Controller, Get, Post } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { Access } from './access.decorator';
import { AccessPoliciesCheck } from './access-policies.check';
import { Public } from './public.decorator';

@Controller('v1/things')
class ThingsController {
  @Get()
  @Access({ kind: 'caller' })
  list(): string[] {
    return [];
  }

  @Post()
  create(): string {
    return 'made';
  }

  @Get('health')
  @Public()
  health(): string {
    return 'ok';
  }

  /** Not a route: no decorator needed. */
  helper(): number {
    return 1;
  }
}

@Controller('v1/others')
class OthersController {
  @Get()
  @Access({ kind: 'global', action: 'read' })
  list(): string[] {
    return [];
  }
}

async function boot(...controllers: (new () => object)[]): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    controllers,
    providers: [AccessPoliciesCheck],
  }).compile();
  await moduleRef.init();
  await moduleRef.close();
}

describe('AccessPoliciesCheck', () => {
  it('refuses to start with a route that declares no access policy, naming it', async () => {
    await expect(boot(OthersController, ThingsController)).rejects.toThrow(
      /declare no access policy: ThingsController\.create\./,
    );
  });

  it('starts when every route has a policy or is public', async () => {
    await expect(boot(OthersController)).resolves.toBeUndefined();
  });
});
