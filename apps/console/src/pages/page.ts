import type { ConsoleSettings } from '../auth.js';

/** What a page gets: where to draw, a signal that aborts when the user leaves it, navigation. */
export interface PageContext {
  main: HTMLElement;
  signal: AbortSignal;
  settings: ConsoleSettings;
  path: string;
  navigate(path: string): void;
}
