import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import type { BatonConfig, ConsoleSettings } from '@baton/platform';
import express, { type Request, type Response, type NextFunction } from 'express';

/**
 * Where `npm run build` puts the console's static files (vite outDir): `dist/console` of the
 * package this module belongs to (found upwards, so it holds from dist/ and from sources in tests).
 */
const CONSOLE_DIST = join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'dist', 'console');

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

/**
 * The console's Content-Security-Policy: scripts and styles only from the api itself, network only
 * to the api and the console's issuer (discovery + token endpoint), no framing of the console by
 * others, but the issuer may be framed by it (silent re-login uses a hidden iframe).
 */
export function consoleContentSecurityPolicy(issuerOrigin: string | undefined): string {
  const connect = ["'self'", issuerOrigin].filter(Boolean).join(' ');
  const frame = issuerOrigin ?? "'none'";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect}`,
    `frame-src ${frame}`,
    "frame-ancestors 'self'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/**
 * The console settings a request asks for: its `?tenant=` tenant's (SPEC §12.1: each tenant signs in
 * at its own issuer), or without one the only tenant that configures a console.
 */
export function consoleSettingsFor(
  config: Pick<BatonConfig, 'tenants'>,
  tenant: string | undefined,
): ConsoleSettings | undefined {
  if (tenant !== undefined) return Object.hasOwn(config.tenants, tenant) ? config.tenants[tenant]!.console : undefined;
  const configured = Object.values(config.tenants).filter((t) => t.console);
  return configured.length === 1 ? configured[0]!.console : undefined;
}

/** The console's public settings for the SPA (SPEC §14); no secrets, the console is a public PKCE client. */
export function consolePublicSettings(c: ConsoleSettings | undefined, apiOrigin: string) {
  if (!c) return undefined;
  return {
    issuer: c.issuer,
    clientId: c.clientId,
    scopes: c.scopes,
    ...(c.audience && { audience: c.audience }),
    redirectUri: c.redirectUri ?? `${apiOrigin}/console/callback`,
  };
}

function requestOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * Serves `GET /console` (the SPA's index.html, also for its client routes like /console/callback),
 * `/console/assets/*` and `/console/config.json`, before Nest's routes and guards: these are public
 * static files, the API calls they make carry the bearer token as everywhere.
 */
export function useConsole(app: INestApplication, config: Pick<BatonConfig, 'tenants'>): void {
  const issuerOrigins = [
    ...new Set(Object.values(config.tenants).flatMap((t) => (t.console ? [new URL(t.console.issuer).origin] : []))),
  ];
  const csp = consoleContentSecurityPolicy(issuerOrigins.length > 0 ? issuerOrigins.join(' ') : undefined);
  const securityHeaders = (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    next();
  };
  const indexPath = join(CONSOLE_DIST, 'index.html');
  const sendIndex = (_req: Request, res: Response) => {
    if (!existsSync(indexPath)) {
      res.status(404).type('text/plain').send('console not built (npm run build)');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(readFileSync(indexPath));
  };
  const router = express.Router();
  router.use(securityHeaders);
  router.get('/config.json', (req, res) => {
    const tenant = typeof req.query.tenant === 'string' ? req.query.tenant : undefined;
    const settings = consolePublicSettings(consoleSettingsFor(config, tenant), requestOrigin(req));
    res.setHeader('Cache-Control', 'no-store');
    if (!settings) {
      res
        .status(404)
        .type('application/problem+json')
        .json({
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail:
            tenant === undefined
              ? 'console is not configured (baton.yaml console: {issuer, clientId, scopes}); with several tenants, name one: /console?tenant=<name>'
              : `tenant ${tenant} configures no console`,
        });
      return;
    }
    res.json(settings);
  });
  router.use(
    '/assets',
    express.static(join(CONSOLE_DIST, 'assets'), { index: false, fallthrough: false, immutable: true, maxAge: '1y' }),
  );
  router.get(/.*/, (req, res) => {
    // a file vite emitted at the top level (favicon …), else the SPA's index for client routes
    const file = normalize(join(CONSOLE_DIST, req.path));
    if (req.path !== '/' && file.startsWith(CONSOLE_DIST + sep) && existsSync(file) && !file.endsWith('index.html')) {
      res.sendFile(file);
      return;
    }
    sendIndex(req, res);
  });
  app.use('/console', router);
}
