// How GraphiQL reaches the api: queries and mutations are POSTed to
// /graphql with the headers from GraphiQL's Headers tab; subscriptions go
// over /graphql/ws (graphql-transport-ws), whose connection_init carries the
// same Authorization value (the api reads it from there, not from headers).
import { getOperationAST, parse } from 'graphql';
import { createClient } from 'graphql-ws';

/** The Authorization header in `headers` (any case), or null when it holds no token. */
export function authorization(headers) {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string') {
      // The Headers tab starts with "Bearer " and no token: that is no token.
      return /^Bearer\s*$/i.test(value.trim()) ? null : value.trim();
    }
  }
  return null;
}

function isSubscription(params, documentAST) {
  try {
    const document = documentAST ?? parse(params.query);
    return getOperationAST(document, params.operationName ?? undefined)?.operation === 'subscription';
  } catch {
    return false; // Not a valid document: let the api say what is wrong with it.
  }
}

/**
 * A GraphiQL fetcher for `url` (HTTP) and `socketUrl` (WebSocket). One socket
 * is kept per Authorization value: a new token opens a new connection, so a
 * subscription always runs as the token shown in the Headers tab.
 */
export function createFetcher({ url, socketUrl }) {
  let socket = null;
  const socketFor = (auth) => {
    if (!socket || socket.auth !== auth) {
      socket?.client.dispose();
      socket = {
        auth,
        client: createClient({
          url: socketUrl,
          lazy: true,
          connectionParams: auth ? { authorization: auth } : {},
        }),
      };
    }
    return socket.client;
  };

  return async function fetcher(params, options) {
    const auth = authorization(options?.headers);
    if (isSubscription(params, options?.documentAST)) {
      return socketFor(auth).iterate(params);
    }
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    for (const [name, value] of Object.entries(options?.headers ?? {})) {
      if (name.toLowerCase() !== 'authorization') headers[name] = String(value);
    }
    if (auth) headers.authorization = auth;
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(params) });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`);
    }
  };
}
