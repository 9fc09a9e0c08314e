#!/usr/bin/env node
// Launcher of the `invites` CLI (package.json "bin"): registers tsx so the TypeScript sources run as they
// are (no build step), then hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
const code = await main(process.argv.slice(2));
// Emulator servers and SDK sockets are closed by now; exit explicitly so a stray timer cannot keep us alive.
process.exit(code);
