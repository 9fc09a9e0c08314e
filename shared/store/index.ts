// The pipeline's DynamoDB state: keys, item shapes and the store.
export * from './keys.ts';
export * from './store.ts';
export * from './types.ts';
