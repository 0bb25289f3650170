# One image for the datacreek worker, API and CLI. TypeScript runs through tsx; the one build step bundles the
# workflow code, so a worker starts without running webpack (it logs which workflow code it loaded).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# jemalloc instead of glibc's malloc: LanceDB's and Temporal's native threads allocate and free buffers of every
# size, and glibc keeps the freed pieces scattered in its heaps; with jemalloc returning freed pages after 2 s a
# worker ended a 100k-record build ~380 MB smaller, no slower (scripts/allocator-env.sh does the same outside the
# image). MALLOC_ARENA_MAX only matters when LD_PRELOAD is emptied to go back to glibc.
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/* \
  && ln -s "$(ls /usr/lib/*-linux-gnu/libjemalloc.so.2)" /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
  MALLOC_CONF=background_thread:true,dirty_decay_ms:2000,muzzy_decay_ms:0 \
  MALLOC_ARENA_MAX=2
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
