// Fails when the built script, compressed, outgrows the budget: the console is opened on
// phones over mobile data when an alert arrives.
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 100 * 1024;
const dir = new URL("../dist/assets/", import.meta.url);
const scripts = readdirSync(dir).filter((name) => name.endsWith(".js"));
const total = scripts.reduce((sum, name) => sum + gzipSync(readFileSync(new URL(name, dir))).length, 0);
console.log(`script: ${scripts.length} file(s), ${total} bytes gzipped (budget ${BUDGET_BYTES})`);
if (scripts.length === 0 || total > BUDGET_BYTES) process.exit(1);
