#!/usr/bin/env node
// Rebuilds src/wetnode/stem/Atom.json (ABI + bytecode) from contracts/Atom.sol
// with the pinned solc-js in scripts/node (run scripts/install.sh --test first).
// The artifact lives in the package because the node reads it at run time.
//
//   node scripts/build_contract.mjs          write src/wetnode/stem/Atom.json
//   node scripts/build_contract.mjs --check  exit 1 if the committed artifact is stale
//
// The EVM version is pinned to the hardfork the test chain runs (anvil
// --hardfork cancun, see tests/support/devchain.py): the newest one solc 0.8.24 knows.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const EVM_VERSION = "cancun";
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "scripts", "node", "package.json"));
const solc = require("solc");

const sourcePath = "contracts/Atom.sol";
const artifactName = "src/wetnode/stem/Atom.json";
const artifactPath = join(root, artifactName);

const input = {
  language: "Solidity",
  sources: { [sourcePath]: { content: readFileSync(join(root, sourcePath), "utf8") } },
  settings: {
    evmVersion: EVM_VERSION,
    optimizer: { enabled: true, runs: 200 },
    outputSelection: {
      "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"] },
    },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
for (const e of output.errors ?? []) process.stderr.write(e.formattedMessage + "\n");
if (errors.length > 0) process.exit(1);

const atom = output.contracts[sourcePath].Atom;
const artifact = {
  contractName: "Atom",
  source: sourcePath,
  compiler: { solc: solc.version(), evmVersion: EVM_VERSION, optimizerRuns: 200 },
  abi: atom.abi,
  methodIdentifiers: atom.evm.methodIdentifiers,
  bytecode: "0x" + atom.evm.bytecode.object,
  deployedBytecode: "0x" + atom.evm.deployedBytecode.object,
};
const text = JSON.stringify(artifact, null, 2) + "\n";

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(artifactPath, "utf8");
  } catch {
    // a missing artifact is stale
  }
  if (committed !== text) {
    process.stderr.write(`${artifactName} is stale: run node scripts/build_contract.mjs\n`);
    process.exit(1);
  }
  process.stdout.write(`${artifactName} is up to date\n`);
} else {
  writeFileSync(artifactPath, text);
  process.stdout.write(`wrote ${artifactName} (solc ${solc.version()}, evm ${EVM_VERSION})\n`);
}
