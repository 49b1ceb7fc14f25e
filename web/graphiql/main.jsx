// CareLedger's GraphiQL: the npm `graphiql` package, bundled by build.mjs
// and served by the api at GET /graphql.
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './page.css';

import { createFetcher } from './fetcher.js';

const socketUrl = new URL('/graphql/ws', window.location.href);
socketUrl.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
const fetcher = createFetcher({ url: '/graphql', socketUrl: socketUrl.href });

// Kept in memory only, as the web app keeps its token: GraphiQL would
// otherwise write tabs, history (passwords in a login mutation, record
// contents in variables) and settings to localStorage.
class MemoryStorage {
  #items = new Map();
  getItem(key) {
    return this.#items.has(key) ? this.#items.get(key) : null;
  }
  setItem(key, value) {
    this.#items.set(key, String(value));
  }
  removeItem(key) {
    this.#items.delete(key);
  }
  clear() {
    this.#items.clear();
  }
  get length() {
    return this.#items.size;
  }
}

const defaultHeaders = `{
  "Authorization": "Bearer "
}`;

const defaultQuery = `# CareLedger GraphiQL, served by this api: nothing comes
# from the internet.
#
# 1. Sign in: fill in your username and password below and
#    run SignIn.
# 2. Copy the token from the result into the Headers tab,
#    after "Bearer ". Queries and mutations send it as the
#    Authorization header, subscriptions in connection_init
#    over /graphql/ws.
# 3. A token lasts 15 minutes. Nothing here is stored:
#    closing the tab forgets the token, tabs and history.

mutation SignIn {
  login(username: "root", password: "") {
    token
    expiresAt
  }
}

query Me {
  me {
    username
    fullName
    role
  }
}
`;

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    storage={new MemoryStorage()}
    defaultQuery={defaultQuery}
    defaultHeaders={defaultHeaders}
    defaultEditorToolsVisibility="headers"
    shouldPersistHeaders={false}
    showPersistHeadersSettings={false}
  />,
);
