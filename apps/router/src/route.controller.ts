import { Controller, Inject } from '@nestjs/common';
import { Commands } from '@switchyard/contracts';
import { NatsRequest, OnCommand } from '@switchyard/nats';
import { RequestRouter } from './request-router.service';

/** The router's NATS entry point. */
@Controller()
export class RouteController {
  constructor(@Inject(RequestRouter) private readonly router: RequestRouter) {}

  @OnCommand(Commands.routeRequest)
  route(request: NatsRequest): void {
    this.router.route(request);
  }
}
