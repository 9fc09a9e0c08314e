import { startEmulators } from '#local/emulators.ts';
import { makeAwsClients } from '#local/aws.ts';
import { createLocalResources } from '#local/runtime/resources.ts';
import { SendMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
const emu = await startEmulators({ dynamo: 'dynalite' });
const c = makeAwsClients(emu.endpoints, { requestTimeout: 30000 });
const res = await createLocalResources(c, { prefix: 'dbg', overrides: { visibilityTimeoutSeconds: 20 } });
await c.sqs.send(new SendMessageBatchCommand({ QueueUrl: res.queueUrl, Entries: [{ Id: 'a', MessageBody: 'x' }] }));
try {
const r = await c.sqs.send(new ReceiveMessageCommand({ QueueUrl: res.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }));
console.log(r.Messages?.length);
} catch (e) { console.log('ERR', e); }
c.destroy(); await emu.stop();
