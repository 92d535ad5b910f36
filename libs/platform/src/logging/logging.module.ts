import { DynamicModule, Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { pino, type Logger } from 'pino';
import { pinoHttp, type Options } from 'pino-http';
import { requestIdOf } from './request-id.js';
import type { BatonConfig } from '../config/config.loader.js';

/**
 * Fields that may hold a credential. Redacted at the logger so that no call site can leak one
 * (STYLE §8). pino's paths match one level per `*`, so the common depths are listed.
 */
const SECRET_FIELDS = [
  'authorization',
  'subject_token',
  'subjectToken',
  'access_token',
  'accessToken',
  'client_secret',
  'clientSecret',
  'token',
  'actor_token',
  'assertion',
  'client_assertion',
  'privateKey',
  'signingKey',
  'cookie',
];
export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export const pinoOptions = (config: Pick<BatonConfig, 'logLevel'>, name: string) => ({
  name,
  level: config.logLevel,
  redact: { paths: REDACT_PATHS, censor: '[redacted]' },
});

/** Injection token of the request-line middleware (pino-http) the api mounts first (see LoggingModule). */
export const REQUEST_LOG = Symbol('REQUEST_LOG');
export type RequestLogMiddleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** pino-http's options for the api's request lines: one line per response, with its request id and caller. */
function requestLogOptions(logger: Logger): Options {
  return {
    logger,
    // Health probes and scrapes are noise at info level.
    autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
    // X-Request-Id: the caller's (when it is a sane token), else a fresh UUID; echoed on the response.
    genReqId: (req, res) => {
      const id = requestIdOf(req.headers['x-request-id']);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // The authenticated user's sub (set by the bearer guard) on the request's completion line.
    customProps: (req) => {
      const user = (req as { user?: { subject?: string; issuer?: string } }).user;
      return user?.subject ? { sub: user.subject, iss: user.issuer } : {};
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url?.split('?')[0],
      }),
    },
  };
}

/**
 * pino-http when request lines are logged (it writes them at info, errors included). Above info it
 * would log nothing yet still build a child logger and the line's objects for every request (~0.2
 * ms of a run start's 2): then only the request id is set, on the request and the response.
 */
export function requestLogMiddleware(logger: Logger): RequestLogMiddleware {
  if (logger.isLevelEnabled('info')) return pinoHttp(requestLogOptions(logger));
  return (req, res, next) => {
    const id = requestIdOf(req.headers['x-request-id']);
    (req as IncomingMessage & { id?: string }).id = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}

/**
 * One pino logger per process, behind Nest's Logger (nestjs-pino). nestjs-pino's own request
 * middleware is not mounted (`forRoutes: []`): it runs every request inside an AsyncLocalStorage,
 * and on Node 20 one `AsyncLocalStorage.run` turns on promise hooks for the whole process for good —
 * measured, every promise then costs about twice as much CPU (the worker's health probe alone did
 * it to the engine's hot path). The api mounts pino-http directly instead (REQUEST_LOG): the same
 * request lines, without request-scoped loggers; errors name their request id explicitly.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: BatonConfig, name: string): DynamicModule {
    const logger = pino(pinoOptions(config, name));
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] })],
      providers: [{ provide: REQUEST_LOG, useValue: requestLogMiddleware(logger) }],
      exports: [LoggerModule, REQUEST_LOG],
    };
  }
}
