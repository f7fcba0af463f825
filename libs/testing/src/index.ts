export * from './stack';
export * from './wait-for';
export * from './fake-openai.server';
export * from './fakes/fake-anthropic.server';
export * from './fakes/fake-gemini.server';
export * from './fakes/fake-cohere.server';
export * from './fakes/fake-azure-openai.server';
export * from './fakes/fake-bedrock.server';
