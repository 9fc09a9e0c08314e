/**
 * `npm run standin -- --port 8787 --token dev-token [--balance N] [--faults SPEC] [--seed N] [--tokens-per-30-min N]`
 * Flow: parse flags → start the stand-in on 127.0.0.1 → print base URL and demo project → serve until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DEMO_PROJECT_ID, parseFaultSpec, type StandinFaults, startStandin } from './server.ts';

const USAGE = `Usage: npm run standin -- [--port 8787] [--token dev-token] [--balance 1000000]
       [--faults 429=0.1,500=0.05,503=0.05,drop=0.02,latency=50] [--seed 42] [--tokens-per-30-min 10]`;

const integer = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
};

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      token: { type: 'string', default: 'dev-token' },
      balance: { type: 'string' },
      faults: { type: 'string' },
      seed: { type: 'string' },
      'tokens-per-30-min': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const faults: StandinFaults | undefined = values.faults ? parseFaultSpec(values.faults) : undefined;
  const standin = await startStandin({
    port: integer('port', values.port),
    token: values.token,
    tokenBalance: integer('balance', values.balance),
    tokensPer30Min: integer('tokens-per-30-min', values['tokens-per-30-min']),
    seed: integer('seed', values.seed),
    faults,
  });
  console.log(`Aseed stand-in listening on ${standin.baseUrl}`);
  console.log(`  base URL:        ${standin.baseUrl}`);
  console.log(`  demo project id: ${DEMO_PROJECT_ID}`);
  console.log(`  bearer token:    ${standin.token}`);
  console.log(`  token balance:   ${standin.stats().tokenBalance}`);
  if (faults) console.log(`  faults:          ${JSON.stringify(faults)}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { createCalls, roomsCreated } = standin.stats();
    console.log(`${signal}: stopping (create calls: ${createCalls}, rooms created: ${roomsCreated})`);
    standin.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  console.error(USAGE);
  process.exit(2);
});
