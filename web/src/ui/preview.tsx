// The email of any row of the dropped file, as SES will render it (subject, HTML, text), with a
// placeholder link: the HTML is shown in a sandboxed frame that runs nothing.
import { useState } from 'preact/hooks';
import { api, type Draft, type PreviewAnswer } from '../api.ts';
import { ErrorNote } from './common.tsx';

/**
 * The email's HTML without its styles: the console's CSP (style-src 'self') holds for the frame too, and the
 * browser would refuse them one by one. The test send shows the email as it looks.
 */
const unstyled = (html: string): string =>
  // Text, not a parsed document: parsing it here (DOMParser) would already apply this page's CSP to it.
  html
    .replace(/<style[\s\S]*?<\/style\s*>/gi, '')
    .replace(/<link\b[^>]*\bstylesheet\b[^>]*>/gi, '')
    .replace(/\sstyle\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '');

/** The preview of one line (the first accepted one by default). */
export const EmailPreview = ({
  draft,
  name,
  firstLine,
}: {
  draft: Draft;
  name: string;
  firstLine: number | undefined;
}) => {
  const [line, setLine] = useState(firstLine ? String(firstLine) : '');
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; preview?: PreviewAnswer }>({});
  const show = async (event: Event) => {
    event.preventDefault();
    setState({ busy: true });
    try {
      setState({ preview: await api.preview({ ...draft, name }, line ? Number(line) : undefined) });
    } catch (error) {
      setState({ error });
    }
  };
  const p = state.preview;
  return (
    <section class="panel" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview the email</h2>
      <form class="inline" onSubmit={show}>
        <label>
          Line of the CSV{' '}
          <input
            type="number"
            min={2}
            value={line}
            onInput={(e) => setLine((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={state.busy}>
          Show preview
        </button>
      </form>
      <ErrorNote error={state.error}>No preview: </ErrorNote>
      {p ? (
        <div class="preview">
          <p>
            To <strong>{p.email}</strong> (line {p.line}, {p.locale} template)
          </p>
          <p>
            Subject: <strong>{p.subject}</strong>
          </p>
          <iframe
            title={`HTML of the email to line ${p.line}`}
            sandbox=""
            srcdoc={unstyled(p.html)}
            class="email-html"
          />
          <p class="muted">
            Shown without the email's own styles (the console allows none inline): a test send shows it as
            sent.
          </p>
          <details>
            <summary>Plain-text part</summary>
            <pre class="email-text">{p.text}</pre>
          </details>
        </div>
      ) : null}
    </section>
  );
};
