// Subscribes to the gateway with a third-party client and prints what arrives.
//
//   node tests/live/client.mjs ws|sse URL TOKEN QUERY [VARIABLES_JSON]
//
// ws: graphql-ws (graphql-transport-ws over WebSocket, the `ws` package as the socket);
// sse: graphql-sse (distinct connections mode, fetch with Accept: text/event-stream).
// Prints one JSON line per event: {"event":"connected"} once the server accepted the
// subscription's connection, {"event":"next","payload":…} per result, then
// {"event":"complete"}, {"event":"error","error":…} or {"event":"closed","code":…,"reason":…}.
// Runs until the subscription ends or the process is killed. Never retries.
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import WebSocket from 'ws';

const [mode, url, token, query, variables] = process.argv.slice(2);
if (!mode || !url || !token || !query) {
  console.error('usage: node client.mjs ws|sse URL TOKEN QUERY [VARIABLES_JSON]');
  process.exit(2);
}
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const request = { query, variables: variables ? JSON.parse(variables) : {} };
const sink = {
  next: (payload) => print({ event: 'next', payload }),
  error: (error) => {
    if (error && typeof error.code === 'number') {
      print({ event: 'closed', code: error.code, reason: error.reason });
    } else if (Array.isArray(error)) {
      print({ event: 'error', error });
    } else {
      print({ event: 'error', error: String(error && error.message ? error.message : error) });
    }
    process.exit(0);
  },
  complete: () => {
    print({ event: 'complete' });
    process.exit(0);
  },
};

if (mode === 'ws') {
  const client = createWsClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    on: {
      connected: () => print({ event: 'connected' }),
      closed: (event) => {
        if (event && event.code !== 1000) {
          print({ event: 'closed', code: event.code, reason: event.reason });
          process.exit(0);
        }
      },
    },
  });
  client.subscribe(request, sink);
} else if (mode === 'sse') {
  const client = createSseClient({
    url,
    headers: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
    singleConnection: false,
  });
  client.subscribe(request, sink, { connected: () => print({ event: 'connected' }) });
} else {
  console.error(`unknown mode ${mode}: ws or sse`);
  process.exit(2);
}
