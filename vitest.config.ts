import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      projects: [
        {
          // Everything that runs inside workerd.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: { TEST_MIGRATIONS: migrations, ELACSYM_ADMIN_TOKEN: "test-admin-token", ELACSYM_GC_GRACE_MS: "0", ELACSYM_LOG_REQUESTS: "0", ELACSYM_LOG_BACKGROUND: "0" },
              },
            }),
          ],
          test: {
            name: "workers",
            setupFiles: ["./test/setup/apply-migrations.ts"],
            include: ["test/**/*.test.ts"],
            exclude: ["test/node/**"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
        {
          // Node-side tests that spawn processes and servers: the CLI and the web console in Chromium.
          // They run after the workerd project (groupOrder) so that the two do not compete for CPU.
          test: {
            name: "node",
            environment: "node",
            sequence: { groupOrder: 1 },
            include: ["test/node/**/*.test.ts"],
            testTimeout: 180_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
