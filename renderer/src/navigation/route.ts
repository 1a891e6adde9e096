/**
 * Which view is showing, and with what. Kept in history.state rather than in the
 * address: browser mode carries its API token in the URL fragment, and the
 * address must survive a reload untouched. sessionStorage brings the view back
 * after a reload; back and forward work through popstate.
 */
import { readonly, ref } from 'vue';

export type ViewName = 'design' | 'runs' | 'live' | 'compare' | 'report';
export type RouteQuery = Record<string, string>;

export interface Route {
  view: ViewName;
  query: RouteQuery;
}

const viewNames: readonly ViewName[] = ['design', 'runs', 'live', 'compare', 'report'];
const storageKey = 'batchscope.route';

function isRoute(value: unknown): value is Route {
  if (typeof value !== 'object' || value === null) return false;
  const { view, query } = value as Partial<Route>;
  return typeof view === 'string' && viewNames.includes(view as ViewName) && typeof query === 'object' && query !== null;
}

function restoredRoute(): Route {
  if (isRoute(history.state)) return history.state;
  try {
    const saved: unknown = JSON.parse(sessionStorage.getItem(storageKey) ?? 'null');
    if (isRoute(saved)) return saved;
  } catch {
    // a corrupt entry only costs the restored view
  }
  return { view: 'design', query: {} };
}

/** history.state must be structured-cloneable: never hand it the reactive proxy */
function plain(route: Route): Route {
  return { view: route.view, query: { ...route.query } };
}

const current = ref<Route>(plain(restoredRoute()));
history.replaceState(plain(current.value), '');

window.addEventListener('popstate', (event) => {
  if (isRoute(event.state)) {
    current.value = plain(event.state);
    sessionStorage.setItem(storageKey, JSON.stringify(event.state));
  }
});

export function navigate(view: ViewName, query: RouteQuery = {}, options: { replace?: boolean } = {}): void {
  const route = plain({ view, query });
  if (options.replace) history.replaceState(route, '');
  else history.pushState(route, '');
  sessionStorage.setItem(storageKey, JSON.stringify(route));
  current.value = route;
}

/** Changes the current view's query without a new history entry (e.g. the selected runs). */
export function replaceQuery(query: RouteQuery): void {
  navigate(current.value.view, query, { replace: true });
}

export function useRoute() {
  return { route: readonly(current), navigate, replaceQuery };
}
