import { NodeErrorCode } from '../constants.js';

/**
 * A template could not be rendered: it names a missing value, or is malformed. The node fails with
 * `template_error` and is not retried — running it again would render the same thing.
 */
export class TemplateError extends Error {
  readonly code = NodeErrorCode.TemplateError;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemplateError';
  }
}
