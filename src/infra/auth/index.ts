export {
  API_KEY_PREFIX,
  createApiKey,
  findUserByApiKey,
  generateApiKey,
  hashApiKey,
  listApiKeys,
  revokeApiKey,
  type ApiKeyInfo,
  type AuthenticatedUser,
  type NewApiKey,
} from './api-keys';
export { createUserWithKey, type CreatedUser } from './users';
export * from './api-keys';
