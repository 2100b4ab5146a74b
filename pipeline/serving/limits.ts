/**
 * The limits of the predict API, the same for the Lambda function URL and `orchard serve`.
 * A request over any of them is refused with a 4xx before the model sees it.
 */

export interface ServingLimits {
  /** Rows per request. */
  maxRows: number;
  /** Body bytes (before base64 decoding on Lambda). */
  maxBodyBytes: number;
  /**
   * JSON nesting depth. A valid body is `{"rows": [{"col": value}]}`: depth 3. A little slack
   * lets a stray object or array as a value be refused by the row check, which names its row
   * and column; anything deeper is refused by a byte scan before `JSON.parse` runs.
   */
  maxDepth: number;
}

export const DEFAULT_LIMITS: ServingLimits = {
  maxRows: 1000,
  maxBodyBytes: 1024 * 1024,
  maxDepth: 8,
};
