import { it } from 'vitest';
import { createWorld, makeCsv } from '../support.ts';
it('dbg', async () => {
  const world = await createWorld();
  const { etag } = await world.upload('campaigns/x.csv', makeCsv(120, world.domain));
  let t = Date.now();
  await world.ingest(world.s3Event('campaigns/x.csv', etag));
  console.log('ingest', Date.now() - t, JSON.stringify(world.counts)); t = Date.now();
  const ev = await world.receiveEvent();
  console.log('receive', Date.now() - t, ev.Records.length); t = Date.now();
  const r = await world.invite(ev);
  console.log('invite', Date.now() - t, JSON.stringify(r), JSON.stringify(world.counts)); t = Date.now();
  await world.close();
}, 60000);
