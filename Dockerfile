# One image for the datacreek worker, API and CLI. TypeScript runs through tsx; the one build step bundles the
# workflow code, so a worker starts without running webpack (it logs which workflow code it loaded).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY configs ./configs
COPY drizzle ./drizzle
COPY tsconfig.json ./
COPY scripts/build-workflows.ts ./scripts/
RUN npm run build:workflows
USER node
ENTRYPOINT ["node", "bin/datacreek.js"]
CMD ["worker"]
