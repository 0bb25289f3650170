# One image for the datacreek worker, API and CLI. TypeScript runs through tsx: no build step.
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
USER node
ENTRYPOINT ["node", "bin/datacreek.js"]
CMD ["worker"]
