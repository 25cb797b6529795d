import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

async function start() {
  const target = document.getElementById('app');
  if (!target) throw new Error('#app missing from index.html');
  // `npm run dev` in a plain browser has no Tauri backend: use the in-memory demo one.
  // import.meta.env.DEV is false in `vite build`, so this import never reaches dist/.
  if (import.meta.env.DEV && !('__TAURI_INTERNALS__' in window)) {
    const { installDemoBackend } = await import('./ipc/demo');
    installDemoBackend();
  }
  mount(App, { target });
}

void start();
