// Type-checks a Grafana dashboard (JSON) against the Dashboard type Grafana publishes in
// @grafana/schema: the JSON becomes an object literal typed Dashboard, so every field's type,
// every enumerated value and every unknown property is checked by the TypeScript compiler.
// Exits with tsc's status; prints its errors.
import fs from 'fs';
import { spawnSync } from 'child_process';

const [file] = process.argv.slice(2);
const json = JSON.parse(fs.readFileSync(file, 'utf8'));
fs.writeFileSync('dashboard-check.ts', "import type { Dashboard } from '@grafana/schema';\n"
    + 'export const dashboard: Dashboard = ' + JSON.stringify(json, null, 2) + ';\n');
const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { encoding: 'utf8' });
process.stdout.write(tsc.stdout + tsc.stderr);
if (tsc.status === 0) {
  console.log(`valid Dashboard ${json.uid}`);
}
process.exit(tsc.status ?? 1);
