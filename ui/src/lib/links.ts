// Links inside rendered KB articles must not turn the app window into a browser: a
// click (or middle click) on one is stopped. The backend also refuses to navigate the
// window away from the app (src-tauri's navigation guard); this keeps the click silent.
export function keepLinksInside(event: MouseEvent): void {
  if (event.target instanceof Element && event.target.closest('a')) event.preventDefault();
}
