// Entry of the web console: read config.json, sign in when deployed (local: no sign-in, labelled so),
// then render the page the URL names.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { configureApi } from './api.ts';
import { accessToken, completeSignIn, signedInEmail, signIn, signOut } from './auth.ts';
import { type ConsoleConfig, loadConfig } from './config.ts';
import { CampaignPage } from './pages/campaign.tsx';
import { ListPage } from './pages/list.tsx';
import { NewPage } from './pages/new.tsx';
import { onLinkClick, useRoute } from './router.ts';
import './styles.css';

const Header = ({ config }: { config: ConsoleConfig }) => (
  <header class="top">
    <a href="/" class="brand">
      Aseed invites
    </a>
    {config.mode === 'local' ? (
      <span class="local-label" role="note">
        LOCAL STACK · loopback only · no sign-in · emulated AWS and Aseed
      </span>
    ) : (
      <span class="user">
        {signedInEmail() ?? 'signed in'}{' '}
        <button type="button" class="link" onClick={() => void signOut(config)}>
          Sign out
        </button>
      </span>
    )}
  </header>
);

const App = ({ config }: { config: ConsoleConfig }) => {
  const route = useRoute();
  // A new page moves focus to its heading, so a screen reader says where it is now.
  const path = route.page === 'campaign' ? route.campaignId : route.page;
  useEffect(() => {
    const heading = document.querySelector<HTMLElement>('main h1');
    heading?.setAttribute('tabindex', '-1');
    heading?.focus({ preventScroll: true });
  }, [path]);
  return (
    <>
      <Header config={config} />
      <main id="main">
        {route.page === 'list' ? <ListPage /> : null}
        {route.page === 'new' ? <NewPage /> : null}
        {route.page === 'campaign' ? (
          <CampaignPage key={route.campaignId} campaignId={route.campaignId} query={route.query} />
        ) : null}
        {route.page === 'missing' ? (
          <p>
            There is no page {route.path}. <a href="/">Campaigns</a>
          </p>
        ) : null}
      </main>
    </>
  );
};

const start = async () => {
  const root = document.getElementById('app');
  if (!root) return;
  try {
    const config = await loadConfig();
    if (config.mode === 'cloud') {
      const returnTo = await completeSignIn(config);
      if (returnTo) history.replaceState(null, '', returnTo);
      if (!(await accessToken(config))) await signIn(config);
      configureApi(
        () => accessToken(config),
        () => void signIn(config),
      );
    }
    // One handler for every in-app link: no page load between pages.
    document.addEventListener('click', onLinkClick);
    document.title = config.mode === 'local' ? 'Aseed invites (local)' : 'Aseed invites';
    render(<App config={config} />, root);
  } catch (error) {
    render(
      <main>
        <p class="error" role="alert">
          The console could not start: {(error as Error).message}
        </p>
      </main>,
      root,
    );
  }
};

void start();
