import type { EmulatorEndpoints } from '#local/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the emulators started by test/support/global-setup.ts. */
    emulators: EmulatorEndpoints;
  }
}
