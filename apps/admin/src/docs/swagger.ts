import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI document at /docs-json and Swagger UI at /docs, both readable without the master key. */
export function setupDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Switchyard admin API')
    .setDescription(
      'Organisations, teams, users, virtual keys and spend. Authenticate with "Authorization: Bearer <master key>", or with a virtual key of a user whose role allows the route (see the README, "Roles"): 401 without a valid key, 403 when the role does not allow it. Money is in USD.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: "The master key, or a user's virtual key" })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
