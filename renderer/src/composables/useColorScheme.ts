/** The OS's light/dark preference as a reactive flag (CSS follows it on its own; charts read this). */
import { readonly, ref } from 'vue';

const query = window.matchMedia('(prefers-color-scheme: dark)');
const isDark = ref(query.matches);
query.addEventListener('change', (event) => {
  isDark.value = event.matches;
});

export function useColorScheme() {
  return { isDark: readonly(isDark) };
}
