/**
 * Entry point of the webhook dispatcher's thread (started by src/services/webhook-dispatcher-thread.ts): the same
 * WebhookDispatcher as inline, on a DataSource of its own, woken and stopped by messages from the main thread.
 */
import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { createDataSource } from '../db/data-source';
import { setLogLevel } from '../logging';
import type { WebhookWorkerData, WebhookWorkerMessage } from './webhook-dispatcher-thread';
import { WebhookDispatcher } from './webhook-dispatcher';
import { allowInsecureWebhookHosts } from './webhook-url';

const data = workerData as WebhookWorkerData;
setLogLevel(data.logLevel);
allowInsecureWebhookHosts(data.allowInsecureHosts);
const dataSource = createDataSource(data.database);
const dispatcher = new WebhookDispatcher(dataSource);
// A database that cannot be reached fails the thread (an unhandled rejection): the main thread logs it and starts
// another after a backoff.
const ready = dataSource.initialize().then(() => dispatcher.start());
let stopping: Promise<void> | undefined;

async function stop(): Promise<void> {
  await ready;
  await dispatcher.stop();
  await dataSource.destroy();
  // Ends the thread even if an idle keep-alive socket to a receiver or a library's timer would keep its loop running.
  process.exit(0);
}

parentPort!.on('message', (message: WebhookWorkerMessage) => {
  // Wakes that come while the pool connects are kept, not lost: they run once it is ready.
  if (message === 'wake') void ready.then(() => dispatcher.wake());
  else stopping ??= stop();
});
