import '@testing-library/jest-dom/vitest';
import { afterEach } from 'vitest';
import { clearMocks } from '../ipc/fake';

afterEach(() => {
  clearMocks();
});
