import { defineConfig } from 'drizzle-kit';

// Migrations are generated from src/infra/db/schema.ts with `npm run db:generate` and committed in drizzle/.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/infra/db/schema.ts',
  out: './drizzle',
});
