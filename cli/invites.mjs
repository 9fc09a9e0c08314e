#!/usr/bin/env node
// Launcher of the `invites` CLI (package.json "bin"): registers tsx so the TypeScript sources run as they
// are (no build step), then hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

// The SDK's notice about future Node versions is for developers, not for researchers reading our output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./main.ts');
const code = await main(process.argv.slice(2));
// Emulator servers and SDK sockets are closed by now; exit explicitly so a stray timer cannot keep us alive.
process.exit(code);
