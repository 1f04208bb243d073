/** The server entry: wires config, state, accounts, the domain and the HTTP API together. */
export { startServer, type RunningServer } from './start-server.js';
