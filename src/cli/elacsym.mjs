#!/usr/bin/env node
// The `elacsym` executable (package.json "bin"). Plain JavaScript so that it can explain itself
// on a Node without TypeScript type stripping; the CLI proper is TypeScript run by Node >= 22.18.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `elacsym: needs Node >= 22.18 (this is ${process.versions.node}). In the repository, 'npx elacsym' uses the pinned Node; ` +
      "otherwise run it with node_modules/.bin/node src/cli/elacsym.mjs\n",
  );
  process.exit(1);
}
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv);
