# Switchyard: one image for all five services; the compose file picks the service by command.
#   docker build -t switchyard:local .
#   docker run --rm switchyard:local node dist/apps/gateway/src/main.js
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.json nx.json ./
COPY apps apps
COPY libs libs
COPY tools tools
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY infra/config infra/config
USER node
EXPOSE 4000 4001
CMD ["node", "dist/apps/gateway/src/main.js"]
