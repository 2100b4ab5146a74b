/**
 * asl-validator 4.0.0 ships no type declarations. This covers the one call Orchard makes:
 * the default export validates a definition (and mutates it: it fills in `QueryLanguage` on
 * every state, so pass a copy).
 */
declare module "asl-validator" {
  interface AslValidationError {
    "Error code": string;
    Message: string;
    [detail: string]: unknown;
  }

  interface AslValidationResult {
    isValid: boolean;
    errors: AslValidationError[];
    errorsText(separator?: string): string;
  }

  interface AslValidatorOptions {
    /** Check JSONPath syntax in paths (default true). */
    checkPaths?: boolean;
    /** Check that Task `Resource` values are ARNs (default true). */
    checkArn?: boolean;
  }

  function aslValidator(definition: unknown, options?: AslValidatorOptions): AslValidationResult;

  export = aslValidator;
}
