// The page is its URL: which page, which campaign, the table's filter, search and page, the open row. A
// reload, a back button or a shared link shows the same thing.
import { useEffect, useState } from 'preact/hooks';

/** The pages of the console. */
export type Route =
  | { page: 'list' }
  | { page: 'new' }
  | { page: 'campaign'; campaignId: string; query: URLSearchParams }
  | { page: 'missing'; path: string };

/** The route of a location. */
export const routeOf = (path: string, search: string): Route => {
  if (path === '/' || path === '') return { page: 'list' };
  if (path === '/new') return { page: 'new' };
  const campaign = /^\/campaigns\/([A-Za-z0-9_-]{1,64})$/.exec(path)?.[1];
  if (campaign) return { page: 'campaign', campaignId: campaign, query: new URLSearchParams(search) };
  return { page: 'missing', path };
};

const listeners = new Set<() => void>();
const notify = () => {
  for (const listener of listeners) listener();
};
addEventListener('popstate', notify);

/** Goes to `href` (a path with its query); `replace` keeps the history entry (filters, paging). */
export const navigate = (href: string, replace = false): void => {
  if (href === `${location.pathname}${location.search}`) return;
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  notify();
};

/** The current route, re-rendering on navigation. */
export const useRoute = (): Route => {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((t) => t + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return routeOf(location.pathname, location.search);
};

/** Follows an in-app link without a page load (ctrl/cmd-click still opens a new tab). */
export const onLinkClick = (event: MouseEvent): void => {
  const anchor = (event.target as Element | null)?.closest('a');
  if (!anchor || anchor.origin !== location.origin || anchor.target || anchor.hasAttribute('download'))
    return;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
    return;
  event.preventDefault();
  navigate(`${anchor.pathname}${anchor.search}`);
};
