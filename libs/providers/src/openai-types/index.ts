export * from './chat-completion.types';
