// The browser app's settings: the only file that reads import.meta.env.

/** Where the Plaza server answers; the app is served by it, so the default is the page's own origin. */
export const SERVER_URL: string = (import.meta.env.VITE_PLAZA_SERVER_URL as string | undefined) ?? '';

/** How often the status badge re-reads /health (milliseconds). */
export const HEALTH_POLL_MS = 30_000;
