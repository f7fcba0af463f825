import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminForwardService } from './admin-forward.service';

/**
 * The admin service's routes, on the gateway's port too: its REST API, LiteLLM's key, team, user and organisation
 * routes, and its OpenAPI docs. Forwarded whole; the admin service answers 404 for a path under these it does not serve.
 */
@Controller()
export class AdminForwardController {
  constructor(@Inject(AdminForwardService) private readonly admin: AdminForwardService) {}

  @All([
    'key/*',
    'team/*',
    'user/*',
    'organization/*',
    'budget/*',
    'v1/budgets',
    'v1/budgets/*',
    'v1/keys',
    'v1/keys/*',
    'v1/teams',
    'v1/teams/*',
    'v1/users',
    'v1/users/*',
    'v1/organizations',
    'v1/organizations/*',
    'v1/spend',
    'v1/spend/*',
    'v1/deployments',
    'v1/audit',
    'docs',
    'docs/*',
    'docs-json',
    'docs-yaml',
  ])
  forward(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.admin.forward(req, reply);
  }
}
