// dynalite ships no types; only the factory this project uses is declared.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    path?: string;
    verbose?: boolean;
    debug?: boolean;
  }

  /** Creates (but does not start) a dynalite HTTP server. */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
