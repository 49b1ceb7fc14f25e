// Stands in for the npm package `react-style-singleton` (same exports), which
// GraphiQL's dialogs use, through react-remove-scroll, to add a stylesheet
// that hides the page's scroll bar while a dialog is open. The package adds a
// <style> element, which the api's policy (`style-src 'self'`) refuses; this
// adopts a constructed stylesheet instead, which the policy allows because
// it is made by the page's own script, not parsed from markup.
import { useEffect } from 'react';

/** One shared stylesheet: added with the first user, removed with the last. */
export function stylesheetSingleton() {
  let users = 0;
  let sheet = null;
  return {
    add(css) {
      if (users === 0) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      }
      users += 1;
    },
    remove() {
      users -= 1;
      if (users === 0 && sheet) {
        const added = sheet;
        document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== added);
        sheet = null;
      }
    },
  };
}

/** A hook holding the shared stylesheet while the calling component is mounted. */
export function styleHookSingleton() {
  const shared = stylesheetSingleton();
  return function useStyle(styles, isDynamic) {
    useEffect(() => {
      shared.add(styles);
      return () => shared.remove();
      // As the package does: the styles are read again only when dynamic.
      // eslint-disable-next-line react-hooks/exhaustive-deps
    }, [styles && isDynamic]);
  };
}

/** The same as a component: `<Sheet styles={css} dynamic />`, rendering nothing. */
export function styleSingleton() {
  const useStyle = styleHookSingleton();
  return function Sheet({ styles, dynamic }) {
    useStyle(styles, dynamic);
    return null;
  };
}
