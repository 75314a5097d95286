import { Client, type Notification } from 'pg';

/**
 * LISTEN, in the database layer (a LISTEN is session state, so it cannot go through the pooled statements of
 * src/services/sql.ts). Used by the change feed (src/services/event-feed.ts).
 */

const listenSql = (channels: readonly string[]) => channels.map((c) => `LISTEN ${c}`).join('; ');

/**
 * PostgreSQL: a connection of its own (never a pool's: the LISTEN would go with it to other work). Resolves once it
 * listens; `onLost` is called once when it fails or ends afterwards. Rejects when it cannot connect.
 */
export async function listenConnection(
  url: string,
  applicationName: string,
  channels: readonly string[],
  onNotification: (message: Notification) => void,
  onLost: (error: unknown) => void,
): Promise<{ end(): Promise<void> }> {
  const client = new Client({ connectionString: url, application_name: applicationName, keepAlive: true });
  let lost = false;
  let ending = false;
  const lose = (error: unknown) => {
    if (lost || ending) return;
    lost = true;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    onLost(error);
  };
  client.on('error', lose);
  client.on('notification', onNotification);
  try {
    await client.connect();
    await client.query(listenSql(channels));
  } catch (error) {
    ending = true;
    await client.end().catch(() => undefined);
    throw error;
  }
  client.once('end', () => lose(new Error('the LISTEN connection ended')));
  return {
    async end() {
      ending = true;
      await client.end().catch(() => undefined);
    },
  };
}
