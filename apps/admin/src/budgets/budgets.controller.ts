import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import {
  BudgetInfoSchema,
  BudgetJsonSchema,
  BudgetListSchema,
  CreateBudgetSchema,
  DeleteBudgetSchema,
  LitellmUpdateBudgetSchema,
  UpdateBudgetSchema,
  type BudgetJson,
} from './budgets.schemas';
import { BudgetsService } from './budgets.service';

/** Reusable budgets under /v1/budgets and LiteLLM's /budget routes. */
@ApiTags('budgets')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or wrong master key', ...errorResponse })
@Controller()
export class BudgetsController {
  constructor(@Inject(BudgetsService) private readonly budgets: BudgetsService) {}

  @Post('v1/budgets')
  @ApiOperation({ summary: 'Create a reusable budget; end users linked to it (budget_id) take its limits' })
  @ApiBody({ schema: openApiSchema(CreateBudgetSchema) })
  @ApiResponse({ status: 201, schema: openApiSchema(BudgetJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @Access({ kind: 'global', action: 'write' })
  create(@Body() body: unknown): Promise<BudgetJson> {
    return this.budgets.create(body);
  }

  @Get('v1/budgets')
  @ApiOperation({ summary: 'List reusable budgets' })
  @ApiResponse({ status: 200, schema: openApiSchema(BudgetListSchema, 'output') })
  @Access({ kind: 'global', action: 'read' })
  list(): Promise<BudgetJson[]> {
    return this.budgets.list();
  }

  @Get('v1/budgets/:id')
  @ApiOperation({ summary: 'A reusable budget' })
  @ApiResponse({ status: 200, schema: openApiSchema(BudgetJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'global', action: 'read' })
  get(@Param('id') id: string): Promise<BudgetJson> {
    return this.budgets.get(id);
  }

  @Patch('v1/budgets/:id')
  @ApiOperation({ summary: 'Change a budget; its end users follow within a second' })
  @ApiBody({ schema: openApiSchema(UpdateBudgetSchema) })
  @ApiResponse({ status: 200, schema: openApiSchema(BudgetJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'global', action: 'write' })
  update(@Param('id') id: string, @Body() body: unknown): Promise<BudgetJson> {
    return this.budgets.update(id, body);
  }

  @Delete('v1/budgets/:id')
  @ApiOperation({ summary: 'Delete a budget no end user uses' })
  @ApiResponse({ status: 200, schema: openApiSchema(BudgetJsonSchema, 'output') })
  @ApiResponse({ status: 400, description: 'End users still use it', ...errorResponse })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'global', action: 'write' })
  delete(@Param('id') id: string): Promise<BudgetJson> {
    return this.budgets.delete(id);
  }

  @Post('budget/new')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of POST /v1/budgets' })
  @ApiBody({ schema: openApiSchema(CreateBudgetSchema) })
  @Access({ kind: 'global', action: 'write' })
  litellmNew(@Body() body: unknown): Promise<BudgetJson> {
    return this.budgets.create(body);
  }

  @Post('budget/update')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of PATCH /v1/budgets/{id} (budget_id in the body)' })
  @ApiBody({ schema: openApiSchema(LitellmUpdateBudgetSchema) })
  @Access({ kind: 'global', action: 'write' })
  litellmUpdate(@Body() body: unknown): Promise<BudgetJson> {
    return this.budgets.litellmUpdate(body);
  }

  @Post('budget/info')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM: the budgets named in `budgets`' })
  @ApiBody({ schema: openApiSchema(BudgetInfoSchema) })
  @Access({ kind: 'global', action: 'read' })
  litellmInfo(@Body() body: unknown): Promise<BudgetJson[]> {
    return this.budgets.info(body);
  }

  @Get('budget/list')
  @ApiOperation({ summary: 'LiteLLM alias of GET /v1/budgets' })
  @Access({ kind: 'global', action: 'read' })
  litellmList(): Promise<BudgetJson[]> {
    return this.budgets.list();
  }

  @Post('budget/delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of DELETE /v1/budgets/{id} (`{"id": <budget id>}`)' })
  @ApiBody({ schema: openApiSchema(DeleteBudgetSchema) })
  @Access({ kind: 'global', action: 'write' })
  litellmDelete(@Body() body: unknown): Promise<BudgetJson> {
    return this.budgets.litellmDelete(body);
  }
}
