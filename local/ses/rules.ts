/**
 * What SES checks in a SendBulkEmail call that aws-ses-v2-local does not: at most 50 destinations, and
 * inline template variables of ASCII letters and digits only (SES refuses the call with "Template contains
 * unsupported operations" otherwise). Missing variables are left to the emulator's strict rendering.
 */

/** Most destinations in one SendBulkEmail call. */
export const MAX_DESTINATIONS = 50;

const EXPRESSION = /\{\{\{?\s*([^{}]*?)\s*\}?\}\}/g;
const VARIABLE = /^[A-Za-z0-9]+$/;

/** The `{{…}}` expressions of a template part, as written inside the braces. */
export const expressionsOf = (source: string): string[] =>
  [...source.matchAll(EXPRESSION)].map((match) => match[1] ?? '');

/** The expressions of an inline template SES would refuse: anything but a plain alphanumeric variable. */
export const unsupportedExpressions = (parts: Array<string | undefined>): string[] =>
  parts.flatMap((part) => expressionsOf(part ?? '')).filter((expression) => !VARIABLE.test(expression));

/** Variables the parts use that `data` lacks: each would fail to render on SES. */
export const missingVariables = (
  parts: Array<string | undefined>,
  data: Record<string, unknown>,
): string[] => {
  const used = new Set(parts.flatMap((part) => expressionsOf(part ?? '')).filter((e) => VARIABLE.test(e)));
  return [...used].filter((name) => !(name in data));
};

/** A SendBulkEmail body as the layer reads it (only what it checks). */
export interface BulkRequest {
  FromEmailAddress?: string;
  ConfigurationSetName?: string;
  DefaultEmailTags?: Array<{ Name: string; Value: string }>;
  DefaultContent?: {
    Template?: {
      TemplateName?: string;
      TemplateContent?: { Subject?: string; Text?: string; Html?: string };
      TemplateData?: string;
    };
  };
  BulkEmailEntries?: BulkEntry[];
}

/** One destination of a SendBulkEmail body. */
export interface BulkEntry {
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ReplacementEmailContent?: { ReplacementTemplate?: { ReplacementTemplateData?: string } };
  ReplacementTags?: Array<{ Name: string; Value: string }>;
}

/** Why SES would refuse the whole call, or undefined. */
export const refuseBulkRequest = (body: BulkRequest): string | undefined => {
  const entries = body.BulkEmailEntries ?? [];
  if (entries.length === 0) return 'BulkEmailEntries must not be empty.';
  if (entries.length > MAX_DESTINATIONS) {
    return `BulkEmailEntries has ${entries.length} destinations; the maximum is ${MAX_DESTINATIONS}.`;
  }
  const content = body.DefaultContent?.Template?.TemplateContent;
  if (content) {
    const bad = unsupportedExpressions([content.Subject, content.Text, content.Html]);
    if (bad.length > 0) {
      const shown = bad.slice(0, 3).map((e) => `{{${e}}}`);
      return `Template contains unsupported operations: ${shown.join(', ')} (inline templates take variable names of ASCII letters and digits only).`;
    }
  }
  return undefined;
};

/** Every recipient address of an entry. */
export const recipientsOf = (entry: BulkEntry): string[] => [
  ...(entry.Destination?.ToAddresses ?? []),
  ...(entry.Destination?.CcAddresses ?? []),
  ...(entry.Destination?.BccAddresses ?? []),
];

/** The bare address of `Name <a@b>` or `a@b`. */
export const bareAddress = (mailbox: string): string => {
  const angle = /<([^<>]+)>\s*$/.exec(mailbox);
  return (angle?.[1] ?? mailbox).trim();
};
