// The upload rules a browser checks before asking (the API checks them again): no imports, so the web
// console bundles them as they are.

/** A campaign name: what its key under the uploads prefix is made of (the CLI takes the same). */
export const CAMPAIGN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Why a campaign name is not one, in the words the API uses. */
export const CAMPAIGN_NAME_RULE =
  "a campaign name is letters, digits, '.', '_' or '-' (up to 100), starting with a letter or digit";

/** The largest file of each kind the console signs an upload for. */
export const UPLOAD_LIMITS = { csv: 50 * 1024 * 1024, settings: 256 * 1024 } as const;

/**
 * The largest CSV the console checks, in UTF-8 bytes: it arrives inside a JSON body, and a Lambda request
 * holds 6 MB. A larger file is checked by the CLI, which streams it.
 */
export const MAX_CHECK_BYTES = 5_000_000;
