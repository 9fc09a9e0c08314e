// Placeholder replaced by the emulator harness: starts nothing yet.
export default async function setup(): Promise<void> {}
